//! Responses of single objects and lists, with field filtering applied once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::extract::QueryParams;
use super::listing::{pagination, Envelope, ListQuery, Page, Projection, RequestUrl};

/// One object, with `include_fields`/`exclude_fields` applied.
pub fn object<T: Serialize>(obj: &T, query: &QueryParams) -> ApiResult<Response> {
    let projection = Projection::from_query(query);
    if projection.is_identity() {
        return Ok(Json(obj).into_response());
    }
    let mut v = serde_json::to_value(obj).map_err(ApiError::internal)?;
    projection.apply(&mut v);
    Ok(Json(v).into_response())
}

/// An object already serialized (from a cache), with field filtering applied if asked.
pub fn json_bytes(bytes: axum::body::Bytes, query: &QueryParams) -> ApiResult<Response> {
    let projection = Projection::from_query(query);
    if projection.is_identity() {
        return Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], bytes).into_response());
    }
    let mut v: Value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
    projection.apply(&mut v);
    Ok(Json(v).into_response())
}

/// A page of wire objects in the list envelope; items are serialized directly unless field
/// filtering asks for less. `sid_key` names the secure ID used by keyset links.
pub fn list<T: Serialize>(page: Page<T>, q: &ListQuery, url: &RequestUrl, sid_key: &str) -> ApiResult<Response> {
    let sid_of = |item: Option<&T>| -> Option<String> {
        let v = serde_json::to_value(item?).ok()?;
        v.get(sid_key).and_then(|s| s.as_str()).map(str::to_owned)
    };
    let links = if q.keyset_order {
        pagination(sid_of(page.items.first()), sid_of(page.items.last()), page.has_more, q, url)
    } else {
        pagination(None, None, page.has_more, q, url)
    };
    let projection = Projection::from_query(&url.query);
    if projection.is_identity() {
        let env = Envelope {
            count: page.items.len(),
            has_more: page.has_more,
            items: page.items,
            limit: q.limit,
            offset: q.offset,
            pagination: links,
            total: page.total,
        };
        return sized_json(&env, env.items.len());
    }
    let mut items = Vec::with_capacity(page.items.len());
    for item in &page.items {
        let mut v = serde_json::to_value(item).map_err(ApiError::internal)?;
        projection.apply(&mut v);
        items.push(v);
    }
    let env = Envelope {
        count: items.len(),
        has_more: page.has_more,
        items,
        limit: q.limit,
        offset: q.offset,
        pagination: links,
        total: page.total,
    };
    sized_json(&env, env.items.len())
}

/// A list's JSON written into a buffer sized for its items at once: grown by doubling from a
/// few bytes, a page of 1,000 records (1 MB) was copied some fifteen times on its way.
fn sized_json<T: Serialize>(body: &T, items: usize) -> ApiResult<Response> {
    const PER_ITEM: usize = 1024;
    let mut buf = Vec::with_capacity(512 + items.saturating_mul(PER_ITEM));
    serde_json::to_writer(&mut buf, body).map_err(ApiError::internal)?;
    Ok(([(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"))], buf)
        .into_response())
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
