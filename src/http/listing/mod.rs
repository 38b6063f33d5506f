//! The list engine's HTTP side: the request's list parameters, `pagination` links (absolute,
//! keeping every other argument), the envelope and field filtering. The engine itself (filter
//! language, allow-lists, keyset pages, `total`) is `db::listing`, used by the repositories.

pub mod projection;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::db::listing::Params;
pub use crate::db::listing::{
    fetch, filter, sql, Cursor, Field, FieldType, Keyset, ListQuery, ListSpec, Order, Page, Qb,
};
use crate::http::error::ApiError;
use crate::http::extract::QueryParams;
use crate::state::AppState;
pub use projection::Projection;

impl Params for QueryParams {
    fn param(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// The absolute URL of the current request's path, for `pagination` links.
#[derive(Clone, Debug)]
pub struct RequestUrl {
    pub base: String,
    pub query: QueryParams,
}

impl FromRequestParts<AppState> for RequestUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.path().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let base = absolute_url(&parts.headers, state.config.public_url(), &path);
        Ok(RequestUrl { base, query: QueryParams::parse(parts.uri.query())? })
    }
}

/// `CARRIERX_PUBLIC_URL` (the URL of `/core/v2`) or the request's Host and forwarding headers.
pub fn absolute_url(headers: &HeaderMap, public_url: Option<&str>, path: &str) -> String {
    const PREFIX: &str = "/core/v2";
    if let Some(public) = public_url {
        let rest = path.strip_prefix(PREFIX).unwrap_or(path);
        return format!("{public}{rest}");
    }
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_graphic()))
    };
    let scheme = h("x-forwarded-proto").filter(|s| s == "http" || s == "https").unwrap_or_else(|| "http".into());
    let host = h("x-forwarded-host").or_else(|| h(header::HOST.as_str())).unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}{path}")
}

/// The list envelope.
#[derive(Debug, Serialize)]
pub struct Envelope<I> {
    pub count: usize,
    pub has_more: bool,
    pub items: Vec<I>,
    pub limit: i64,
    pub offset: i64,
    pub pagination: Map<String, Value>,
    pub total: Option<i64>,
}

fn link(url: &RequestUrl, first: Option<(&str, String)>, drop: &[&str], limit: i64, last: (&str, String)) -> Value {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some((k, v)) = first {
        pairs.push((k.into(), v));
    }
    let mut has_limit = false;
    for (k, v) in &url.query.0 {
        if drop.contains(&k.as_str()) || k == last.0 {
            continue;
        }
        has_limit |= k == "limit";
        pairs.push((k.clone(), v.clone()));
    }
    if !has_limit {
        pairs.push(("limit".into(), limit.to_string()));
    }
    pairs.push((last.0.into(), last.1));
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    Value::String(format!("{}?{}", url.base, qs))
}

/// The `pagination` links: absolute, keeping every other argument. Offset pages link by
/// `offset`; lists read in their keyset order link by `after`/`before` and the secure IDs of
/// the last and first items.
pub fn pagination(
    first_sid: Option<String>,
    last_sid: Option<String>,
    has_more: bool,
    q: &ListQuery,
    url: &RequestUrl,
) -> Map<String, Value> {
    let mut pagination = Map::new();
    if q.keyset_order {
        let (more_after, more_before) = match q.cursor {
            Some(Cursor::After(_)) => (has_more, true),
            Some(Cursor::Before(_)) => (true, has_more),
            None => (has_more, q.offset > 0),
        };
        if more_before {
            if let Some(s) = first_sid {
                pagination.insert(
                    "previous".into(),
                    link(url, Some(("before", s)), &["after", "before", "offset"], q.limit, ("offset", "0".into())),
                );
            }
        }
        if more_after {
            if let Some(s) = last_sid {
                pagination.insert(
                    "next".into(),
                    link(url, Some(("after", s)), &["after", "before", "offset"], q.limit, ("offset", "0".into())),
                );
            }
        }
    } else {
        if has_more {
            pagination.insert(
                "next".into(),
                link(url, None, &["after", "before"], q.limit, ("offset", (q.offset + q.limit).to_string())),
            );
        }
        if q.offset > 0 {
            let prev = (q.offset - q.limit).max(0);
            pagination.insert(
                "previous".into(),
                link(url, None, &["after", "before"], q.limit, ("offset", prev.to_string())),
            );
        }
    }
    pagination
}

/// The absolute URL of `/core/v2` for links the server writes (mails, documents).
#[derive(Clone, Debug)]
pub struct ApiBase(pub String);

impl FromRequestParts<AppState> for ApiBase {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ApiBase(absolute_url(&parts.headers, state.config.public_url(), "/core/v2")))
    }
}
