//! The traffic feed the console shows: what the simulated network does (messages and their
//! statuses, calls and their traces, callbacks and their receivers' answers, charges), as events
//! every instance sees.
//!
//! An instance [`publish`]es events after the transaction that made them commits; its relay
//! ([`relay`]) sends them in batches on the `carrierx_traffic` channel (`pg_notify`, payloads kept
//! under PostgreSQL's 8,000-byte limit); every instance's listener hands them to its [`Feed`]
//! ([`on_notification`]), which keeps the last [`RECENT`] and broadcasts them to the consoles
//! connected to it. Memory stays bounded: the relay's outbox takes at most [`MAX_PER_SECOND`]
//! events a second (beyond that it counts what it dropped and says so in a `notice` event), the
//! broadcast keeps [`BROADCAST`] events for slow consoles (which are told how many they missed).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::state::AppState;
use crate::sync::lock;

pub const CHANNEL: &str = "carrierx_traffic";
/// Events an instance publishes a second, at most.
pub const MAX_PER_SECOND: u32 = 500;
/// Events each instance keeps for a console that just connected.
pub const RECENT: usize = 200;
/// Events a console may fall behind before it is told it missed some.
pub const BROADCAST: usize = 1024;
/// A notification's payload, at most (PostgreSQL refuses 8,000 bytes and more).
const MAX_PAYLOAD: usize = 7_900;

/// One thing that happened.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    /// `message`, `call`, `callback`, `charge` or `notice`.
    pub kind: String,
    /// When (RFC 3339, milliseconds).
    pub at: String,
    pub partner_sid: Option<Uuid>,
    /// The partner's place in the tree: who may see the event (not shown).
    #[serde(default)]
    pub tree_path: String,
    /// The phone numbers involved (for the console's number filter).
    #[serde(default)]
    pub numbers: Vec<String>,
    /// The object's secure ID and its path in the API.
    pub sid: Option<Uuid>,
    pub href: Option<String>,
    /// A status (`queued`, `delivered`, `completed`, `rejected`, ...).
    pub status: Option<String>,
    /// One line, for a person.
    pub title: String,
    /// The rest: a call's trace, a callback's answer, a charge's amount.
    #[serde(default)]
    pub detail: Value,
}

impl Event {
    pub fn new(kind: &str, partner_sid: Uuid, tree_path: &str, title: String) -> Self {
        Event {
            kind: kind.into(),
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            partner_sid: Some(partner_sid),
            tree_path: tree_path.into(),
            numbers: Vec::new(),
            sid: None,
            href: None,
            status: None,
            title,
            detail: Value::Null,
        }
    }

    pub fn object(mut self, sid: Uuid, href: String) -> Self {
        self.sid = Some(sid);
        self.href = Some(href);
        self
    }

    pub fn status(mut self, status: &str) -> Self {
        self.status = Some(status.into());
        self
    }

    pub fn numbers(mut self, numbers: &[&str]) -> Self {
        self.numbers = numbers.iter().filter(|n| !n.is_empty()).map(|n| n.to_string()).collect();
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = detail;
        self
    }
}

/// What this instance holds of the feed.
pub struct Feed {
    sender: broadcast::Sender<Arc<Event>>,
    /// Set when the server shuts down: the consoles' streams end (they would hold it open).
    closing: tokio::sync::watch::Sender<bool>,
    recent: Mutex<VecDeque<Arc<Event>>>,
    outbox: Mutex<Outbox>,
    wake: tokio::sync::Notify,
}

#[derive(Default)]
struct Outbox {
    events: Vec<Event>,
    dropped: u64,
    window: Option<Instant>,
    in_window: u32,
}

impl Default for Feed {
    fn default() -> Self {
        Feed {
            sender: broadcast::channel(BROADCAST).0,
            closing: tokio::sync::watch::channel(false).0,
            recent: Mutex::new(VecDeque::with_capacity(RECENT)),
            outbox: Mutex::new(Outbox::default()),
            wake: tokio::sync::Notify::new(),
        }
    }
}

impl Feed {
    /// The live events, and those kept from before.
    pub fn subscribe(&self) -> (Vec<Arc<Event>>, broadcast::Receiver<Arc<Event>>) {
        let recent = lock(&self.recent);
        // Subscribed under the lock: nothing falls between the kept events and the live ones.
        let rx = self.sender.subscribe();
        (recent.iter().cloned().collect(), rx)
    }

    /// Resolves when the server shuts down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.closing.subscribe();
        async move {
            let _ = rx.wait_for(|c| *c).await;
        }
    }

    /// Ends every console's stream (the server is shutting down).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn deliver(&self, e: Event) {
        let e = Arc::new(e);
        {
            let mut recent = lock(&self.recent);
            if recent.len() == RECENT {
                recent.pop_front();
            }
            recent.push_back(e.clone());
            let _ = self.sender.send(e);
        }
    }
}

pub fn feed(state: &AppState) -> Arc<Feed> {
    state.services.get_or_init(Feed::default)
}

/// Starts a new second of the outbox's budget when the last one is over.
fn roll(out: &mut Outbox) {
    let now = Instant::now();
    if out.window.is_none_or(|w| now.duration_since(w) >= Duration::from_secs(1)) {
        out.window = Some(now);
        out.in_window = 0;
    }
}

/// How many more events this instance publishes this second: a caller with many events builds no
/// more than that and counts the rest with [`dropped`] (under load, most would only be counted).
pub fn room(state: &AppState) -> usize {
    let feed = feed(state);
    let mut out = lock(&feed.outbox);
    roll(&mut out);
    MAX_PER_SECOND.saturating_sub(out.in_window) as usize
}

/// Counts `n` events left unbuilt for want of [`room`] (told to the consoles as dropped ones are).
pub fn dropped(state: &AppState, n: usize) {
    if n > 0 {
        lock(&feed(state).outbox).dropped += n as u64;
    }
}

/// Queues events for every instance's consoles (call after the change they report commits).
pub fn publish(state: &AppState, events: impl IntoIterator<Item = Event>) {
    let feed = feed(state);
    let mut out = lock(&feed.outbox);
    roll(&mut out);
    for e in events {
        if out.in_window >= MAX_PER_SECOND {
            out.dropped += 1;
        } else {
            out.in_window += 1;
            out.events.push(e);
        }
    }
    drop(out);
    feed.wake.notify_one();
}

/// Shortens an event that would not fit a notification on its own: its detail goes first.
fn fit(mut e: Event) -> Option<String> {
    let text = serde_json::to_string(&e).ok()?;
    if text.len() <= MAX_PAYLOAD - 2 {
        return Some(text);
    }
    e.detail = serde_json::json!({"truncated": "too large for the console; read the object itself"});
    e.title = e.title.chars().take(300).collect();
    let text = serde_json::to_string(&e).ok()?;
    (text.len() <= MAX_PAYLOAD - 2).then_some(text)
}

/// Sends this instance's published events to every instance, in batches.
pub async fn relay(state: AppState) {
    let feed = feed(&state);
    // What was dropped is told once a second at most.
    let (mut dropped, mut told) = (0u64, Instant::now());
    loop {
        let _ = tokio::time::timeout(Duration::from_millis(100), feed.wake.notified()).await;
        let events = {
            let mut out = lock(&feed.outbox);
            dropped += std::mem::take(&mut out.dropped);
            std::mem::take(&mut out.events)
        };
        let mut texts: Vec<String> = events.into_iter().filter_map(fit).collect();
        if dropped > 0 && told.elapsed() >= Duration::from_secs(1) {
            told = Instant::now();
            let dropped = std::mem::take(&mut dropped);
            let mut n =
                Event::new("notice", Uuid::nil(), "", format!("{dropped} events were not shown (too many a second)"));
            n.partner_sid = None;
            texts.extend(fit(n));
        }
        let mut payloads = Vec::new();
        let mut current = String::from("[");
        for t in texts {
            if current.len() + t.len() + 2 > MAX_PAYLOAD && current.len() > 1 {
                current.push(']');
                payloads.push(std::mem::replace(&mut current, String::from("[")));
            }
            if current.len() > 1 {
                current.push(',');
            }
            current.push_str(&t);
        }
        if current.len() > 1 {
            current.push(']');
            payloads.push(current);
        }
        if payloads.is_empty() {
            continue;
        }
        if let Err(e) = crate::db::notify_all(&state.pool, CHANNEL, &payloads).await {
            tracing::warn!(error = %e, "cannot send traffic events to the consoles");
        }
    }
}

/// Hands one `carrierx_traffic` notification to this instance's consoles.
pub fn on_notification(state: &AppState, payload: &str) {
    let Ok(events) = serde_json::from_str::<Vec<Event>>(payload) else { return };
    let feed = feed(state);
    for e in events {
        feed.deliver(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_too_large_loses_its_detail_not_its_place() {
        let big = Event::new("call", Uuid::nil(), "", "x".repeat(1000)).detail(Value::String("y".repeat(20_000)));
        let text = fit(big).expect("fits once shortened");
        assert!(text.len() < MAX_PAYLOAD);
        assert!(text.contains("truncated"));
        let small = Event::new("call", Uuid::nil(), "", "ok".into());
        assert!(fit(small).unwrap().contains("\"ok\""));
    }
}
