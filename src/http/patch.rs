//! PATCH and PUT, written once.
//!
//! PATCH changes only the attributes sent. For a nested object (`attributes`, `callbacks`, ...)
//! the reference's four rules apply: a record with the same key is replaced, a new key is added,
//! a key sent as `null` is removed, and `?nested_objects=replace` replaces the whole nested
//! object. PUT replaces the object: every updatable attribute not sent goes back to empty.
//! Attributes that are read-only (or settable only at creation) are ignored in both.

use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::error::{ApiError, ApiResult};
use super::extract::{JsonBody, QueryParams};
use super::input::{parse_into, Problems};
use crate::state::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateMode {
    Patch { nested_replace: bool },
    Put,
}

/// PATCH or PUT, from the request's method (a handler serves both).
impl<S: Send + Sync> axum::extract::FromRequestParts<S> for UpdateMode {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _state: &S) -> Result<Self, ApiError> {
        if parts.method == axum::http::Method::PUT {
            Ok(UpdateMode::Put)
        } else {
            UpdateMode::patch(&QueryParams::parse(parts.uri.query())?)
        }
    }
}

impl UpdateMode {
    /// PATCH, with `?nested_objects=replace` read from the query.
    pub fn patch(query: &QueryParams) -> ApiResult<Self> {
        Ok(UpdateMode::Patch { nested_replace: query.nested_replace()? })
    }
}

/// A PATCH or PUT request to an object whose input type is `T`: the mode, and the body as sent,
/// read as `T` leniently (a field of the wrong type is named in `problems` and read as absent, so
/// the handler's rules run too and one 422 names every bad field).
pub struct Update<T> {
    pub mode: UpdateMode,
    pub body: Map<String, Value>,
    /// The body as `T`: what was sent, each attribute absent, null or a value.
    pub sent: T,
    /// The body's fields whose values do not fit `T`: the start of the handler's problems.
    pub problems: Problems,
}

impl<T: DeserializeOwned> FromRequest<AppState> for Update<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = req.into_parts();
        let mode = UpdateMode::from_request_parts(&mut parts, state).await?;
        let body = JsonBody::from_request(Request::from_parts(parts, body), state).await?.into_object()?;
        let mut problems = Problems::new();
        let sent = parse_into(&body, &mut problems)?;
        Ok(Update { mode, body, sent, problems })
    }
}

impl<T> Update<T> {
    /// The same update as another input type `U` made from `T` (a route whose body differs from
    /// its object's in the read-only fields it accepts: the body was checked as `T`).
    pub fn map_input<U: From<T>>(self) -> Update<U> {
        Update { mode: self.mode, body: self.body, sent: self.sent.into(), problems: self.problems }
    }
}

impl<T: DeserializeOwned> Update<T> {
    /// The updatable attributes of `current` (the object's wire form) with the body applied.
    pub fn merged(&self, current: &impl Serialize, updatable: &[&str]) -> ApiResult<Map<String, Value>> {
        Ok(apply(&wire_map(current)?, &self.body, updatable, self.mode))
    }

    /// The object's input after the update (its updatable attributes with the body applied), and
    /// the problems found so far (the body's fields of the wrong type, read as absent), to which
    /// the handler adds its rules' before `finish`.
    pub fn input(&self, current: &impl Serialize, updatable: &[&str]) -> ApiResult<(T, Problems)> {
        let mut p = self.problems.clone();
        let input = parse_into(&self.merged(current, updatable)?, &mut p)?;
        Ok((input, p))
    }
}

/// An object's wire form as a JSON map, the `current` of [`apply`].
pub fn wire_map<T: Serialize>(obj: &T) -> ApiResult<Map<String, Value>> {
    match serde_json::to_value(obj).map_err(ApiError::internal)? {
        Value::Object(m) => Ok(m),
        _ => Err(ApiError::internal("an object did not serialize to a JSON object")),
    }
}

/// Applies `body` to `current` (the object's wire form) and returns the updatable attributes
/// of the result.
pub fn apply(
    current: &Map<String, Value>,
    body: &Map<String, Value>,
    updatable: &[&str],
    mode: UpdateMode,
) -> Map<String, Value> {
    let mut out = Map::new();
    for key in updatable {
        let now = current.get(*key).cloned().unwrap_or(Value::Null);
        let new = match (mode, body.get(*key)) {
            (UpdateMode::Put, None) => empty_like(&now),
            (_, None) => now,
            (UpdateMode::Put, Some(v)) | (UpdateMode::Patch { nested_replace: true }, Some(v)) => v.clone(),
            (UpdateMode::Patch { nested_replace: false }, Some(v)) => merge_nested(now, v),
        };
        out.insert((*key).to_owned(), new);
    }
    out
}

fn merge_nested(now: Value, incoming: &Value) -> Value {
    match (now, incoming) {
        (Value::Object(mut records), Value::Object(changes)) => {
            for (k, v) in changes {
                if v.is_null() {
                    records.remove(k);
                } else {
                    records.insert(k.clone(), v.clone());
                }
            }
            Value::Object(records)
        }
        (_, v) => v.clone(),
    }
}

fn empty_like(v: &Value) -> Value {
    match v {
        Value::Object(_) => Value::Object(Map::new()),
        Value::Array(_) => Value::Array(Vec::new()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests;
