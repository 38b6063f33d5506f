//! Responses of single objects and lists, with field filtering applied once.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::extract::QueryParams;
use super::listing::{envelope, ListQuery, Page, Projection, RequestUrl};

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

/// A page of wire objects in the list envelope.
pub fn list<T: Serialize>(page: Page<T>, q: &ListQuery, url: &RequestUrl, sid_key: &str) -> ApiResult<Response> {
    let items = page
        .items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<Vec<Value>, _>>()
        .map_err(ApiError::internal)?;
    Ok(Json(envelope(items, page.has_more, page.total, q, url, sid_key)).into_response())
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

impl<R> Page<R> {
    pub fn map<T>(self, f: impl FnMut(R) -> T) -> Page<T> {
        Page { items: self.items.into_iter().map(f).collect(), has_more: self.has_more, total: self.total }
    }
}
