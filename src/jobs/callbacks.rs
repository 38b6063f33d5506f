//! The callback sender: delivers the callback outbox (`resources::callbacks`) like a real
//! webhook sender.
//!
//! - Every instance may run it: a callback is claimed by one (`FOR UPDATE SKIP LOCKED`) and leased
//!   while in flight; a lease that runs out (an instance killed mid-attempt) lets another take it.
//! - A POST of the callback's JSON body (`Content-Type: application/json`), `callback_timeout_ms`
//!   for the whole attempt; a 2xx answer delivers it; anything else (another status, no
//!   connection, a timeout) is retried after `callback_retry_base_ms` doubling up to
//!   `callback_retry_max_ms`, until `callback_max_attempts` attempts: then it is `failed`.
//! - Every attempt is recorded (`attempt_log`).
//! - A slow or dead receiver holds back only its own callbacks: at most `callback_per_receiver`
//!   are in flight to one `host:port`, `callback_concurrency` in all; sending messages never waits.
//! - A callback queued on an instance whose sender has room is taken by that sender in the write
//!   that queues it (counted and leased as a claim would: no other instance takes it) and handed
//!   over once that commits ([`reserve`], `resources::callbacks::ops::Queued`): no claim, one
//!   write fewer. The claim is for the rest: retries, bursts beyond the room, other instances'
//!   callbacks whose instance is gone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::resources::callbacks::repo::{self, AttemptResult, Claimed};
use crate::state::AppState;
use crate::sync::lock;

pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The HTTP(S) client callbacks go out with: TLS with the system's root certificates (none found:
/// https receivers fail their attempts with a TLS error, which is recorded).
pub fn client() -> Result<HttpClient, rustls::Error> {
    // ring (no C toolchain beyond cc, no cmake); its provider lacks post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new().with_provider_and_native_roots(provider.clone()) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "no root certificates found: https callbacks will fail");
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Ok(Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector))
}

/// The pause before attempt `attempt + 1`, or `None` when `attempt` was the last.
pub fn retry_delay(config: &Config, attempt: i32) -> Option<i64> {
    if attempt as u32 >= config.callback_max_attempts {
        return None;
    }
    let base = config.callback_retry_base_ms as i64;
    let factor = 1i64.checked_shl((attempt.max(1) - 1) as u32).unwrap_or(i64::MAX);
    Some(base.saturating_mul(factor).min(config.callback_retry_max_ms as i64))
}

/// One attempt: the answer's status, or why there was none.
async fn attempt(client: &HttpClient, c: &Claimed, timeout: Duration) -> (Option<i32>, Option<String>) {
    let body = Bytes::from(c.body.clone());
    let request = match hyper::Request::post(c.url.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, concat!("carrierx-core/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(body))
    {
        Ok(r) => r,
        Err(e) => return (None, Some(format!("cannot build the request: {e}"))),
    };
    let exchange = async {
        let response = client.request(request).await?;
        let status = response.status().as_u16() as i32;
        // The answer's body is read (and dropped) so that the connection can be used again.
        let _ = response.into_body().collect().await;
        Ok::<_, hyper_util::client::legacy::Error>(status)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(status)) if (200..300).contains(&status) => (Some(status), None),
        Ok(Ok(status)) => (Some(status), Some(format!("the receiver answered {status}"))),
        Ok(Err(e)) => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            (None, Some(why))
        }
        Err(_) => (None, Some(format!("no answer within {} ms", timeout.as_millis()))),
    }
}

/// What is in flight on this instance: in all and per receiver.
#[derive(Default)]
struct InFlight {
    total: usize,
    by_receiver: HashMap<String, usize>,
}

impl InFlight {
    fn add(&mut self, authority: &str) {
        self.total += 1;
        *self.by_receiver.entry(authority.to_owned()).or_default() += 1;
    }

    fn remove(&mut self, authority: &str) {
        self.total = self.total.saturating_sub(1);
        if let Some(n) = self.by_receiver.get_mut(authority) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.by_receiver.remove(authority);
            }
        }
    }
}

/// This instance's sender, as the writers that queue callbacks see it: its room, and the callbacks
/// handed to it.
pub struct Sender {
    running: std::sync::atomic::AtomicBool,
    in_flight: Arc<Mutex<InFlight>>,
    handed: Mutex<Vec<Claimed>>,
    /// Callbacks were queued due at once without being handed over: claim them.
    queued_due: std::sync::atomic::AtomicBool,
    wake: Arc<tokio::sync::Notify>,
    per_receiver: usize,
    concurrency: usize,
    lease_ms: i64,
}

fn sender(state: &AppState) -> Arc<Sender> {
    state.services.get_or_init(|| {
        let config = &state.config;
        Sender {
            running: false.into(),
            in_flight: Arc::default(),
            handed: Mutex::default(),
            queued_due: false.into(),
            wake: state.callback_wake.clone(),
            per_receiver: config.callback_per_receiver as usize,
            concurrency: config.callback_concurrency as usize,
            lease_ms: (config.callback_timeout_ms as i64).saturating_mul(2).saturating_add(5_000),
        }
    })
}

/// Callbacks due at once were queued for any instance's sender to claim: this one claims now.
pub fn queued_due(state: &AppState) {
    sender(state).queued_due.store(true, std::sync::atomic::Ordering::Release);
    state.callback_wake.notify_one();
}

/// How often a sender with nothing announced looks for due callbacks: retries come due, other
/// instances' callbacks outlive their lease or wait for room.
const CLAIM_EVERY: Duration = Duration::from_millis(100);

/// Room with this instance's sender, taken for callbacks being queued.
pub fn reserve(state: &AppState) -> Reserved {
    Reserved { sender: sender(state), taken: Vec::new() }
}

/// Room taken with the sender, one attempt per receiver named; given back when dropped unless
/// launched.
pub struct Reserved {
    sender: Arc<Sender>,
    taken: Vec<String>,
}

impl Reserved {
    /// Takes room for an attempt to `authority`, if the sender runs here and has it.
    pub fn take(&mut self, authority: &str) -> bool {
        let s = &self.sender;
        if !s.running.load(std::sync::atomic::Ordering::Acquire) {
            return false;
        }
        let mut f = lock(&s.in_flight);
        if f.total >= s.concurrency || f.by_receiver.get(authority).copied().unwrap_or(0) >= s.per_receiver {
            return false;
        }
        f.add(authority);
        drop(f);
        self.taken.push(authority.to_owned());
        true
    }

    /// The lease of the callbacks taken.
    pub fn lease_ms(&self) -> i64 {
        self.sender.lease_ms
    }

    /// Hands the callbacks written for the room taken to the sender (the transaction committed).
    pub fn launch(mut self, claimed: Vec<Claimed>) {
        let s = self.sender.clone();
        // Room taken for a callback that was not written (none expected) is given back.
        for c in &claimed {
            if let Some(i) = self.taken.iter().position(|a| *a == c.authority) {
                self.taken.swap_remove(i);
            }
        }
        if !claimed.is_empty() {
            lock(&s.handed).extend(claimed);
            s.wake.notify_one();
        }
    }
}

impl Drop for Reserved {
    fn drop(&mut self) {
        if self.taken.is_empty() {
            return;
        }
        let mut f = lock(&self.sender.in_flight);
        for a in self.taken.drain(..) {
            f.remove(&a);
        }
    }
}

/// Runs the sender until the process ends.
pub async fn run(state: AppState) {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot set up TLS: this instance sends no callbacks (others still may)");
            return;
        }
    };
    let config = state.config.clone();
    let timeout = Duration::from_millis(config.callback_timeout_ms.max(1));
    let sender = sender(&state);
    let lease_ms = sender.lease_ms;
    let per_receiver = sender.per_receiver;
    let concurrency = sender.concurrency;
    let in_flight = sender.in_flight.clone();
    let finished = Arc::new(tokio::sync::Notify::new());
    let (results_tx, results_rx) = mpsc::unbounded_channel::<AttemptResult>();
    tokio::spawn(record_results(state.clone(), results_rx));
    // Writers may hand callbacks over from now on.
    sender.running.store(true, std::sync::atomic::Ordering::Release);
    let _stopped = Stopped(sender.clone());
    // One attempt, its room in `in_flight` already taken.
    let start = |c: Claimed| {
        let (client, config, in_flight, finished, results) =
            (client.clone(), config.clone(), in_flight.clone(), finished.clone(), results_tx.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let (status, error) = attempt(&client, &c, timeout).await;
            let delivered = error.is_none();
            let _ = results.send(AttemptResult {
                id: c.id,
                attempt: c.attempts,
                response_status: status,
                error,
                duration_ms: started.elapsed().as_millis() as i64,
                delivered,
                retry_in_ms: if delivered { None } else { retry_delay(&config, c.attempts) },
            });
            lock(&in_flight).remove(&c.authority);
            finished.notify_one();
        });
    };
    // Claims cost a look at the due index: one is made when one is due (callbacks queued without
    // room here, the last claim found work, attempts made room for receivers that were full) or
    // every CLAIM_EVERY, not on every wake-up (every commit that hands callbacks over wakes it).
    let mut claim_soon = true;
    let mut last_claim = Instant::now();
    loop {
        let handed = std::mem::take(&mut *lock(&sender.handed));
        if !handed.is_empty() {
            // A receiver that reads the object back here sees what its callback says.
            state.caches_caught_up().await;
            for c in handed {
                start(c);
            }
        }
        let (busy, free) = {
            let f = lock(&in_flight);
            let busy: Vec<String> =
                f.by_receiver.iter().filter(|(_, n)| **n >= per_receiver).map(|(k, _)| k.clone()).collect();
            (busy, concurrency.saturating_sub(f.total))
        };
        // Taken only when there is room to claim them (else kept for when there is).
        let announced = free > 0 && sender.queued_due.swap(false, std::sync::atomic::Ordering::AcqRel);
        let mut got = 0;
        if free > 0 && (claim_soon || announced || last_claim.elapsed() >= CLAIM_EVERY) {
            let head = (4 * concurrency).max(1000) as i64;
            let claimed = match repo::claim(&state.pool, &busy, per_receiver as i64, free as i64, head, lease_ms).await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = ?e, "cannot claim callbacks");
                    Vec::new()
                }
            };
            last_claim = Instant::now();
            got = claimed.len();
            // Found work, or left some out for full receivers: look again once attempts finish.
            claim_soon = got > 0 || !busy.is_empty();
            if got > 0 {
                state.caches_caught_up().await;
            }
            for c in claimed {
                lock(&in_flight).add(&c.authority);
                start(c);
            }
            if got > 0 && got == free {
                continue;
            }
        }
        let wait = CLAIM_EVERY.saturating_sub(last_claim.elapsed()).max(Duration::from_millis(1));
        if got > 0 && lock(&in_flight).total > 0 {
            // Attempts are finishing: claim again in a moment, for all that finished meanwhile
            // (one claim a few milliseconds, not one per answer).
            tokio::select! {
                _ = state.callback_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            }
        } else if claim_soon {
            tokio::select! {
                _ = state.callback_wake.notified() => {}
                _ = finished.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        } else {
            tokio::select! {
                _ = state.callback_wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Closes the door to writers when the sender stops.
struct Stopped(Arc<Sender>);

impl Drop for Stopped {
    fn drop(&mut self) {
        self.0.running.store(false, std::sync::atomic::Ordering::Release);
    }
}

/// Writes attempts' outcomes in batches (one statement for all that finished meanwhile).
async fn record_results(state: AppState, mut rx: mpsc::UnboundedReceiver<AttemptResult>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 1000).await > 0 {
        // The attempts finishing together are written together.
        tokio::time::sleep(Duration::from_millis(5)).await;
        while batch.len() < 1000 {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut tries = 0;
        loop {
            match repo::record(&state.pool, &batch).await {
                Ok(recorded) => {
                    let room = crate::traffic::room(&state).min(recorded.len());
                    crate::traffic::dropped(&state, recorded.len() - room);
                    crate::traffic::publish(&state, recorded[..room].iter().map(console_event));
                    break;
                }
                Err(e) => {
                    tries += 1;
                    tracing::warn!(error = ?e, "cannot record callback attempts");
                    if tries >= 5 {
                        // The leases run out: the attempts are made again.
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
            }
        }
        batch.clear();
        // Attempts recorded: a callback due again may be claimed at once.
        state.callback_wake.notify_one();
    }
}

/// The console's view of an attempt: where it went (the URL without its query, which may carry a
/// receiver's secret), what the receiver answered, what happens next.
fn console_event(r: &repo::Recorded) -> crate::traffic::Event {
    let shown = r.url.split(['?', '#']).next().unwrap_or_default();
    let answer = match (r.response_status, &r.error) {
        (Some(s), _) => format!("answered {s}"),
        (None, Some(e)) => e.clone(),
        (None, None) => "no answer".into(),
    };
    let next = match r.status.as_str() {
        "delivered" => "delivered".to_owned(),
        "failed" => "given up".to_owned(),
        _ => "will retry".to_owned(),
    };
    crate::traffic::Event::new(
        "callback",
        r.partner_sid,
        &r.tree_path,
        format!("Callback {} to {shown}: attempt {} {answer}, {next}", r.event, r.attempts),
    )
    .object(r.callback_sid, format!("/core/v2/admin/simulator/callbacks/{}", r.callback_sid))
    .status(&r.status)
    .detail(serde_json::json!({
        "event": r.event, "url": shown, "attempts": r.attempts, "response_status": r.response_status, "error": r.error,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_base_up_to_the_cap_and_stop_at_the_limit() {
        let mut c = Config::defaults();
        c.callback_retry_base_ms = 1000;
        c.callback_retry_max_ms = 5000;
        c.callback_max_attempts = 5;
        let delays: Vec<Option<i64>> = (1..=5).map(|a| retry_delay(&c, a)).collect();
        assert_eq!(delays, vec![Some(1000), Some(2000), Some(4000), Some(5000), None]);
    }
}
