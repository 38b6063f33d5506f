use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{header, HeaderMap};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::domain::scopes::{Scope, ScopeSet};
use crate::http::auth::authenticate;
use crate::http::error::ApiError;
use crate::resources::partners;
use crate::state::AppState;
use crate::traffic::{self, Event};

const PAGE: &str = include_str!("page.html");

/// `GET /console`: the page (it asks for credentials itself).
pub async fn page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
            (
                header::HeaderName::from_static("content-security-policy"),
                "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src 'self' data:",
            ),
        ],
        PAGE,
    )
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub struct Filters {
    /// Only this partner's tree.
    pub partner_sid: Option<String>,
    /// Only events involving a number containing these digits.
    pub number: Option<String>,
}

/// What a console may see: its tree (everything for admins), the kinds its scopes read.
struct View {
    tree_path: Option<String>,
    kinds: Vec<&'static str>,
    number: Option<String>,
}

impl View {
    fn shows(&self, e: &Event) -> bool {
        if e.kind == "notice" {
            return true;
        }
        if !self.kinds.contains(&e.kind.as_str()) {
            return false;
        }
        if let Some(path) = &self.tree_path {
            if !e.tree_path.starts_with(path.as_str()) {
                return false;
            }
        }
        match &self.number {
            Some(n) => e.numbers.iter().any(|x| x.contains(n.as_str())),
            None => true,
        }
    }
}

fn kinds(scopes: &ScopeSet) -> Vec<&'static str> {
    let mut k = Vec::new();
    let sms = scopes.grants_any(&[Scope::SmsManage, Scope::SmsRead]);
    if sms {
        k.push("message");
    }
    if scopes.grants_any(&[Scope::CallsManage, Scope::CallsRead]) {
        k.push("call");
    }
    if sms || scopes.grants_any(&[Scope::AppManage, Scope::AppRead]) {
        k.push("callback");
    }
    if scopes.grants_any(&[Scope::InvoicesManage, Scope::InvoicesRead]) {
        k.push("charge");
    }
    if scopes.grants_any(&[Scope::PushManage, Scope::PushRead]) {
        k.push("push");
    }
    k
}

/// One event as the page gets it (who may see it is not shown).
fn frame(e: &Event) -> SseEvent {
    let mut v = serde_json::to_value(e).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("tree_path");
    }
    SseEvent::default().event("traffic").data(v.to_string())
}

/// `GET /console/events`: the traffic the caller may see, the last events first, then live.
pub async fn events(State(state): State<AppState>, headers: HeaderMap, Query(f): Query<Filters>) -> Response {
    let principal = match authenticate(&state, &headers).await {
        Ok(Some(p)) => p,
        Ok(None) => return ApiError::Unauthorized.into_response(),
        Err(e) => return e.into_response(),
    };
    let admin = principal.scopes.grants(Scope::AdminRead);
    let kinds = kinds(&principal.scopes);
    if kinds.is_empty() {
        return ApiError::Forbidden.into_response();
    }
    let mut problems = Vec::new();
    let mut tree_path = (!admin).then(|| principal.tree_path.clone());
    if let Some(raw) = f.partner_sid.as_deref().filter(|s| !s.is_empty()) {
        let found = match Uuid::parse_str(raw) {
            Ok(sid) => match partners::ops::find(&state, sid).await {
                Ok(p) => p,
                Err(e) => return e.into_response(),
            },
            Err(_) => {
                problems.push(crate::http::error::FieldError::new("partner_sid", "must be a secure ID"));
                None
            }
        };
        match found.filter(|p| admin || p.tree_path.starts_with(principal.tree_path.as_str())) {
            Some(p) => tree_path = Some(p.tree_path.clone()),
            None if problems.is_empty() => return ApiError::not_found("partner").into_response(),
            None => {}
        }
    }
    let number = f.number.as_deref().map(crate::domain::phone::digits).filter(|n| !n.is_empty());
    if f.number.as_deref().is_some_and(|n| !n.trim().is_empty()) && number.is_none() {
        problems.push(crate::http::error::FieldError::new("number", "must contain digits"));
    }
    if !problems.is_empty() {
        return ApiError::BadParameters(problems).into_response();
    }
    let view = Arc::new(View { tree_path, kinds, number });
    let feed = traffic::feed(&state);
    let (recent, rx) = feed.subscribe();
    let stream = stream_of(view, recent, rx).take_until(feed.closed());
    Sse::new(stream).keep_alive(KeepAlive::default()).into_response()
}

fn stream_of(
    view: Arc<View>,
    recent: Vec<Arc<Event>>,
    rx: tokio::sync::broadcast::Receiver<Arc<Event>>,
) -> impl Stream<Item = Result<SseEvent, Infallible>> {
    let first: Vec<Result<SseEvent, Infallible>> =
        recent.iter().filter(|e| view.shows(e)).map(|e| Ok(frame(e))).collect();
    let ready = SseEvent::default().event("ready").data("{}");
    let live = stream::unfold((rx, view), |(mut rx, view)| async move {
        loop {
            match rx.recv().await {
                Ok(e) if view.shows(&e) => return Some((Ok(frame(&e)), (rx, view))),
                Ok(_) => continue,
                Err(RecvError::Lagged(n)) => {
                    let mut notice = Event::new(
                        "notice",
                        Uuid::nil(),
                        "",
                        format!("{n} events were missed (this console fell behind)"),
                    );
                    notice.partner_sid = None;
                    return Some((Ok(frame(&notice)), (rx, view)));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    stream::iter(first).chain(stream::once(async move { Ok(ready) })).chain(live)
}
