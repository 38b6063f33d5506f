//! Validation shared by the resources that carry the same nested objects.

use serde_json::Value;

use crate::domain::transformations;
use crate::http::error::FieldError;
use crate::http::input::{Maybe, Problems};

/// Checks a list of transformations with the one validator every object uses; returns its
/// normalized form (`direction` filled in) or `[]` when absent or bad (the problems say why).
pub fn check_transformations(v: &Maybe<Value>, p: &mut Problems) -> Value {
    match v {
        Maybe::Value(list) => match transformations::parse_list("transformations", list) {
            Ok(ts) => serde_json::to_value(ts).unwrap_or(Value::Array(Vec::new())),
            Err(problems) => {
                p.0.extend(problems.into_iter().map(|(f, m)| FieldError::new(f, m)));
                Value::Array(Vec::new())
            }
        },
        _ => Value::Array(Vec::new()),
    }
}
