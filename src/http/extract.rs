//! Request extractors whose failures are `ApiError`s in the API's format. Handlers never take
//! raw axum extractors.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde_json::{Map, Value};
use uuid::Uuid;

use super::error::ApiError;
use super::input::{parse_into, Problems};
pub use crate::domain::parse_bool;
use crate::state::AppState;

fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

fn is_json(ct: &str) -> bool {
    ct == "application/json" || (ct.starts_with("application/") && ct.ends_with("+json"))
}

async fn read_body(req: Request, state: &AppState) -> Result<(HeaderMap, Bytes), ApiError> {
    let (parts, body) = req.into_parts();
    // The admin ingestion routes take batches of up to 10,000 objects.
    let admin =
        parts.extensions.get::<axum::extract::OriginalUri>().is_some_and(|u| u.0.path().starts_with("/core/v2/admin/"));
    let limit = if admin { state.config.max_admin_body_bytes } else { state.config.max_body_bytes };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| ApiError::PayloadTooLarge)?;
    Ok((parts.headers, bytes))
}

/// A JSON request body. A body that is not JSON (an empty one sent as JSON included) is the
/// reference's 400; a body sent with another content type is 415. A request without a body and
/// without a JSON content type reads as `{}` (clients POST without a body to rent a number).
#[derive(Debug)]
pub struct JsonBody(pub Value);

impl JsonBody {
    /// The body as an object, or a 422 naming the body.
    pub fn into_object(self) -> Result<Map<String, Value>, ApiError> {
        match self.0 {
            Value::Object(m) => Ok(m),
            _ => Err(ApiError::invalid("body", "must be a JSON object")),
        }
    }
}

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (headers, bytes) = read_body(req, state).await?;
        let json = content_type(&headers).is_some_and(|ct| is_json(&ct));
        if !json && bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(JsonBody(Value::Object(Map::new())));
        }
        if !json {
            return Err(ApiError::UnsupportedMediaType("application/json"));
        }
        let body: Value = serde_json::from_slice(&bytes).map_err(|_| ApiError::MalformedJson)?;
        if let Some(at) = find_nul(&body, String::new()) {
            return Err(ApiError::invalid(
                if at.is_empty() { "body".into() } else { at },
                "must not contain a NUL character",
            ));
        }
        Ok(JsonBody(body))
    }
}

/// A JSON object body read as the input type `T`, leniently: a field of the wrong type is named
/// in `problems` and read as absent, so the handler's rules add their problems to the same list
/// and one 422 names every bad field. The OpenAPI document takes `T` as the request body.
#[derive(Debug)]
pub struct Body<T> {
    /// The body as `T`: each field absent, null or a value.
    pub input: T,
    /// The fields whose values do not fit `T`; the handler adds its own and calls `finish`.
    pub problems: Problems,
    /// The object as sent.
    pub raw: Map<String, Value>,
}

impl<T: serde::de::DeserializeOwned> FromRequest<AppState> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let raw = JsonBody::from_request(req, state).await?.into_object()?;
        let mut problems = Problems::new();
        let input = parse_into(&raw, &mut problems)?;
        Ok(Body { input, problems, raw })
    }
}

/// Where a NUL character sits in a JSON value (`name`, `entries[0]`, `attributes.key`): text in
/// PostgreSQL cannot hold one, so such a body is refused up front, naming the field.
fn find_nul(v: &Value, at: String) -> Option<String> {
    let join = |key: &str| if at.is_empty() { key.to_owned() } else { format!("{at}.{key}") };
    match v {
        Value::String(s) if s.contains('\0') => Some(at),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| find_nul(x, format!("{at}[{i}]"))),
        Value::Object(m) => {
            m.iter().find_map(
                |(k, x)| {
                    if k.contains('\0') {
                        Some(join(&k.replace('\0', "")))
                    } else {
                        find_nul(x, join(k))
                    }
                },
            )
        }
        _ => None,
    }
}

/// A query argument or form field with a NUL character, named.
fn nul_param<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Result<(), ApiError> {
    match pairs.into_iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
        Some((k, _)) => Err(ApiError::bad_param(k.replace('\0', ""), "must not contain a NUL character")),
        None => Ok(()),
    }
}

/// A form body (`application/x-www-form-urlencoded`), as the OAuth and e-mail routes take.
/// A JSON object of scalars is accepted too.
#[derive(Debug, Default)]
pub struct FormBody(pub HashMap<String, String>);

impl FormBody {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|s| s.as_str()).filter(|s| !s.is_empty())
    }
}

impl FromRequest<AppState> for FormBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (headers, bytes) = read_body(req, state).await?;
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return Ok(FormBody::default());
        }
        let form = match content_type(&headers).as_deref() {
            Some("application/x-www-form-urlencoded") => {
                let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
                    .map_err(|_| ApiError::bad_param("body", "malformed form body"))?;
                FormBody(pairs.into_iter().collect())
            }
            Some(ct) if is_json(ct) => {
                let v: Value = serde_json::from_slice(&bytes).map_err(|_| ApiError::MalformedJson)?;
                let Value::Object(map) = v else {
                    return Err(ApiError::invalid("body", "must be a JSON object"));
                };
                let mut out = HashMap::new();
                for (k, v) in map {
                    let s = match v {
                        Value::String(s) => s,
                        Value::Null => continue,
                        Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                            .collect::<Vec<_>>()
                            .join(","),
                        other => other.to_string(),
                    };
                    out.insert(k, s);
                }
                FormBody(out)
            }
            _ => return Err(ApiError::UnsupportedMediaType("application/x-www-form-urlencoded")),
        };
        nul_param(&form.0)?;
        Ok(form)
    }
}

/// The query string as ordered pairs, decoded once.
#[derive(Clone, Debug, Default)]
pub struct QueryParams(pub Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw {
            None | Some("") => Ok(QueryParams::default()),
            Some(q) => {
                let pairs = serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                    .map_err(|_| ApiError::bad_param("query", "malformed query string"))?;
                nul_param(pairs.iter().map(|(k, v)| (k, v)))?;
                Ok(QueryParams(pairs))
            }
        }
    }

    /// The last value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The first of several spellings present.
    pub fn get_any<'k>(&self, keys: &[&'k str]) -> Option<(&'k str, &str)> {
        keys.iter().find_map(|k| self.get(k).map(|v| (*k, v)))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse_bool(v).map(Some).ok_or_else(|| ApiError::bad_param(key, "must be true or false")),
        }
    }

    pub fn with_related(&self) -> Result<bool, ApiError> {
        Ok(self.bool("with_related")?.unwrap_or(false))
    }

    /// `nested_objects=replace` (PATCH).
    pub fn nested_replace(&self) -> Result<bool, ApiError> {
        match self.get("nested_objects") {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("replace") => Ok(true),
            Some(_) => Err(ApiError::bad_param("nested_objects", "the only value accepted is replace")),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        QueryParams::parse(parts.uri.query())
    }
}

/// A secure ID from the path. One that is not a UUID names nothing: 404.
pub fn parse_sid(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::not_found(what))
}

/// Path parameters, with rejections in the API's format.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T> FromRequestParts<S> for PathParams<T>
where
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| PathParams(p.0))
            .map_err(|_| ApiError::NotFound("not found".into()))
    }
}
