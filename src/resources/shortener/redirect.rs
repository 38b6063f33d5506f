//! The redirect service: this server answers a link's short URL. A request whose `Host` is a
//! shortener domain (`http://<domain_name>/<short_name>`, the link's `url`: point the name at this
//! server, or send the header) or that names both in its path (`/s/<domain_name>/<short_name>`,
//! for a browser on the developer's machine) is resolved to the link and answered by its `mode`:
//! `redirect_temporary` 302, `redirect_permanent` 301 (`Location`: the destination), `proxy_pass`
//! the destination's answer itself. An expired link or an unknown name is answered by the
//! domain's `expired_*` / `not_found_*` settings: redirect to the page when it is set (404 or 410
//! without one), or with `proxy_pass` the page as the content with the status code (404/410 by
//! default). A name followed by a suffix the domain's `suffix_pattern` matches resolves the name
//! and keeps the suffix on the destination.
//!
//! Hot links are served from memory: domains and links are cached by secure ID (invalidated on
//! every instance when they change) with an index from names to them; hits are counted in memory
//! and added to the links once a second ([`flush_hits`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::repo::{self, DomainRow, LinkRow};
use crate::cache::Cached;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::sync::lock;

/// Names to secure IDs, checked against the cached object on every use (a renamed object is
/// looked up again).
#[derive(Default)]
struct Names {
    domains: Mutex<HashMap<String, Uuid>>,
    links: Mutex<HashMap<(Uuid, String), Uuid>>,
}

const MAX_NAMES: usize = 100_000;

fn remember<K: std::hash::Hash + Eq>(m: &Mutex<HashMap<K, Uuid>>, k: K, v: Uuid) {
    let mut m = lock(m);
    if m.len() >= MAX_NAMES {
        m.clear();
    }
    m.insert(k, v);
}

/// Hits counted since the last flush: per link, how many and the last.
#[derive(Default)]
struct Hits(Mutex<HashMap<Uuid, (i64, DateTime<Utc>)>>);

async fn domain(state: &AppState, host: &str) -> ApiResult<Option<Arc<Cached<DomainRow>>>> {
    let names = state.services.get_or_init(Names::default);
    let cache = state.objects.of::<DomainRow>();
    let known = lock(&names.domains).get(host).copied();
    if let Some(d) = known.and_then(|sid| cache.get(&sid)).filter(|d| d.domain_name == host) {
        return Ok(Some(d));
    }
    let generation = cache.generation();
    let Some(row) = repo::domain_by_name(&state.pool, host).await? else { return Ok(None) };
    let sid = row.domain_sid;
    let d = Arc::new(Cached::new(row));
    cache.put(sid, d.clone(), generation);
    remember(&names.domains, host.to_owned(), sid);
    Ok(Some(d))
}

async fn link(state: &AppState, domain: Uuid, short: &str) -> ApiResult<Option<Arc<Cached<LinkRow>>>> {
    let names = state.services.get_or_init(Names::default);
    let cache = state.objects.of::<LinkRow>();
    let key = (domain, short.to_owned());
    let known = lock(&names.links).get(&key).copied();
    if let Some(l) = known.and_then(|sid| cache.get(&sid)).filter(|l| l.short_name == short && l.domain_sid == domain) {
        return Ok(Some(l));
    }
    let generation = cache.generation();
    let Some(row) = repo::link_by_name(&state.pool, domain, short).await? else { return Ok(None) };
    let sid = row.link_sid;
    let l = Arc::new(Cached::new(row));
    cache.put(sid, l.clone(), generation);
    remember(&names.links, key, sid);
    Ok(Some(l))
}

fn count_hit(state: &AppState, link: Uuid) {
    let hits = state.services.get_or_init(Hits::default);
    let mut h = lock(&hits.0);
    let e = h.entry(link).or_insert((0, Utc::now()));
    e.0 += 1;
    e.1 = Utc::now();
}

/// Adds the hits counted here to the links (one statement); every instance adds its own.
pub async fn flush_hits(state: &AppState) -> ApiResult<usize> {
    let hits = state.services.get_or_init(Hits::default);
    let taken: Vec<(Uuid, i64, DateTime<Utc>)> =
        std::mem::take(&mut *lock(&hits.0)).into_iter().map(|(k, (n, at))| (k, n, at)).collect();
    if taken.is_empty() {
        return Ok(0);
    }
    if let Err(e) = repo::add_hits(&state.pool, &taken).await {
        // Counted again next time.
        let mut h = lock(&hits.0);
        for (k, n, at) in taken {
            let e = h.entry(k).or_insert((0, at));
            e.0 += n;
            e.1 = e.1.max(at);
        }
        return Err(e.into());
    }
    // This instance's cached links show the new counts once this returns.
    state.caches_caught_up().await;
    Ok(taken.len())
}

/// The background flush of hits, once a second.
pub async fn run_hits(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if let Err(e) = flush_hits(&state).await {
            tracing::warn!(error = ?e, "cannot add link hits");
        }
    }
}

fn redirect(code: StatusCode, to: &str) -> Response {
    match HeaderValue::from_str(to) {
        Ok(v) => (code, [(header::LOCATION, v)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Answers with the destination's own answer (status, content type, body streamed through).
async fn proxy(state: &AppState, url: &str) -> Response {
    if crate::domain::callback_url::check(url, &state.own).is_err() {
        return (StatusCode::BAD_GATEWAY, "the destination cannot be proxied").into_response();
    }
    let Ok(client) = state.services.get_or_init(Proxy::default).client() else {
        return (StatusCode::BAD_GATEWAY, "no HTTP client").into_response();
    };
    let Ok(uri) = url.parse::<axum::http::Uri>() else {
        return (StatusCode::BAD_GATEWAY, "bad destination").into_response();
    };
    let req = match axum::http::Request::get(uri)
        .header(header::USER_AGENT, "carrierx-core shortener")
        .body(http_body_util::Full::new(axum::body::Bytes::new()))
    {
        Ok(r) => r,
        Err(_) => return (StatusCode::BAD_GATEWAY, "bad destination").into_response(),
    };
    match tokio::time::timeout(Duration::from_secs(10), client.request(req)).await {
        Ok(Ok(resp)) => {
            let (parts, body) = resp.into_parts();
            let mut out = Response::new(Body::new(body));
            *out.status_mut() = parts.status;
            if let Some(ct) = parts.headers.get(header::CONTENT_TYPE) {
                out.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
            }
            out
        }
        _ => (StatusCode::BAD_GATEWAY, "the destination did not answer").into_response(),
    }
}

/// This instance's client for `proxy_pass` (made on first use).
#[derive(Default)]
struct Proxy(std::sync::OnceLock<Option<crate::jobs::callbacks::HttpClient>>);

impl Proxy {
    fn client(&self) -> Result<crate::jobs::callbacks::HttpClient, ()> {
        self.0.get_or_init(|| crate::jobs::callbacks::client().ok()).clone().ok_or(())
    }
}

/// The answer for an expired link or an unknown name, by the domain's settings.
fn fallback(mode: &str, page: &Option<String>, code: Option<i32>, default: StatusCode) -> Response {
    match (mode, page) {
        ("proxy_pass", page) => {
            let status = code.and_then(|c| StatusCode::from_u16(c as u16).ok()).unwrap_or(default);
            let body = page.clone().unwrap_or_else(|| status.canonical_reason().unwrap_or("").to_owned());
            (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response()
        }
        ("redirect_permanent", Some(p)) => redirect(StatusCode::MOVED_PERMANENTLY, p),
        (_, Some(p)) => redirect(StatusCode::FOUND, p),
        (_, None) => (default, default.canonical_reason().unwrap_or("")).into_response(),
    }
}

async fn resolve(state: &AppState, d: &DomainRow, path: &str) -> ApiResult<Response> {
    let mut found = link(state, d.domain_sid, path).await?.map(|l| (l, String::new()));
    if found.is_none() {
        if let Some(re) = d.suffix_pattern.as_deref().and_then(|p| crate::domain::patterns::compile(p).ok()) {
            // A suffix the pattern matches at the end of the path.
            if let Some(m) = re.find_iter(path).find(|m| m.end() == path.len() && m.start() > 0) {
                let (short, suffix) = path.split_at(m.start());
                found = link(state, d.domain_sid, short).await?.map(|l| (l, suffix.to_owned()));
            }
        }
    }
    let Some((l, suffix)) = found else {
        return Ok(fallback(&d.not_found_mode, &d.not_found_page, d.not_found_status_code, StatusCode::NOT_FOUND));
    };
    if l.expired(Utc::now()) {
        return Ok(fallback(&d.expired_mode, &d.expired_page, d.expired_status_code, StatusCode::GONE));
    }
    count_hit(state, l.link_sid);
    let to = format!("{}{suffix}", l.destination_url);
    Ok(match l.mode.as_str() {
        "redirect_permanent" => redirect(StatusCode::MOVED_PERMANENTLY, &to),
        "proxy_pass" => proxy(state, &to).await,
        _ => redirect(StatusCode::FOUND, &to),
    })
}

/// `GET /s/{domain_name}/{short_name}`: a link named in the path.
pub async fn by_path(State(state): State<AppState>, Path((host, short)): Path<(String, String)>) -> Response {
    match domain(&state, &host.to_ascii_lowercase()).await {
        Ok(Some(d)) => resolve(&state, &d, &short).await.unwrap_or_else(IntoResponse::into_response),
        Ok(None) => ApiError::NotFound("cannot find domain".into()).into_response(),
        Err(e) => e.into_response(),
    }
}

/// What no route answers: a short URL when the `Host` is a shortener domain, else the API's 404.
pub async fn by_host(State(state): State<AppState>, req: Request) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    let path = req.uri().path().trim_start_matches('/').to_owned();
    let is_get = req.method() == axum::http::Method::GET || req.method() == axum::http::Method::HEAD;
    if is_get && !host.is_empty() && !path.is_empty() && !path.contains('/') {
        // The host as sent (with its port), then without the port.
        let bare = host.rsplit_once(':').map(|(h, _)| h.to_owned());
        for name in std::iter::once(host.clone()).chain(bare) {
            match domain(&state, &name).await {
                Ok(Some(d)) => return resolve(&state, &d, &path).await.unwrap_or_else(IntoResponse::into_response),
                Ok(None) => {}
                Err(e) => return e.into_response(),
            }
        }
    }
    ApiError::NotFound("not found".into()).into_response()
}
