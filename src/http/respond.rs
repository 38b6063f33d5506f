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

/// A batch's answer written one object at a time, as its rows arrive from the database: the
/// rows, their wire objects and the JSON never exist whole side by side (a batch of 10,000
/// numbers held 30 MB that way). A body of one object (`single`) answers that object; any other
/// (or a single one answered with none or several) an array of them.
pub struct BatchWriter {
    buf: Vec<u8>,
    count: usize,
    /// Written as one object so far (no brackets).
    bare: bool,
    /// The first object that failed to serialize (reported by `finish`).
    failed: Option<ApiError>,
    expected: usize,
}

impl BatchWriter {
    /// `expected`: how many objects (the buffer is sized once, by the first of them).
    pub fn new(expected: usize, single: bool) -> Self {
        let mut buf = Vec::with_capacity(4096);
        if !single {
            buf.push(b'[');
        }
        BatchWriter { buf, count: 0, bare: single, failed: None, expected }
    }

    pub fn push<T: Serialize>(&mut self, item: &T) {
        if self.failed.is_some() {
            return;
        }
        if self.count > 0 {
            if self.bare {
                // A second object for a single one sent: the answer becomes their array.
                self.buf.insert(0, b'[');
                self.bare = false;
            }
            self.buf.push(b',');
        }
        match serde_json::to_writer(&mut self.buf, item) {
            Ok(()) => self.count += 1,
            Err(e) => self.failed = Some(ApiError::internal(e)),
        }
        if self.count == 1 && self.expected > 1 {
            // Room for all of them, as big as the first and a quarter more: the buffer is not
            // grown (and copied) a dozen times on its way to megabytes.
            let each = self.buf.len() + self.buf.len() / 4;
            self.buf.reserve(each.saturating_mul(self.expected - 1));
        }
    }

    pub fn finish(mut self) -> ApiResult<Response> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.bare && self.count == 0 {
            self.buf.push(b'[');
            self.bare = false;
        }
        if !self.bare {
            self.buf.push(b']');
        }
        Ok(([(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/json"))], self.buf)
            .into_response())
    }
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

#[cfg(test)]
mod tests {
    use super::BatchWriter;
    use serde_json::{json, Value};

    async fn written(single: bool, items: &[Value]) -> Value {
        let mut w = BatchWriter::new(items.len(), single);
        items.iter().for_each(|i| w.push(i));
        let body = w.finish().unwrap().into_body();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn a_batch_answers_its_array_and_a_single_object_itself() {
        let (a, b) = (json!({"n": 1}), json!({"n": "two, \"quoted\""}));
        assert_eq!(written(false, &[a.clone(), b.clone()]).await, json!([a, b]));
        assert_eq!(written(false, &[]).await, json!([]));
        assert_eq!(written(true, std::slice::from_ref(&a)).await, a);
        // A single object answered with none or several: their array, as before.
        assert_eq!(written(true, &[]).await, json!([]));
        assert_eq!(written(true, &[a.clone(), b.clone()]).await, json!([a, b]));
    }
}
