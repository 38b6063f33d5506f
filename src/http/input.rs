//! Typed request bodies: every bad field is named, not only the first.
//!
//! Input structs derive `Deserialize` with `deny_unknown_fields`, every field optional (a
//! [`Maybe`] tells absent from `null`), read-only fields as [`Ignored`]. Required fields and
//! formats are checked afterwards with a [`Problems`] collector.

use serde::de::{DeserializeOwned, Deserializer, IgnoredAny};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::{ApiError, FieldError};

/// A field that may be absent, `null`, or a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Maybe<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Maybe<T> {
    pub fn is_absent(&self) -> bool {
        matches!(self, Maybe::Absent)
    }

    /// The value, `None` for absent or `null`.
    pub fn value(&self) -> Option<&T> {
        match self {
            Maybe::Value(v) => Some(v),
            _ => None,
        }
    }

    pub fn into_option(self) -> Option<T> {
        match self {
            Maybe::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(d).map(|o| match o {
            Some(v) => Maybe::Value(v),
            None => Maybe::Null,
        })
    }
}

/// A read-only field: accepted in a body, ignored.
pub type Ignored = Option<IgnoredAny>;

/// Deserializes an object into `T`, naming every field that fails.
pub fn parse_object<T: DeserializeOwned>(map: &Map<String, Value>) -> Result<T, ApiError> {
    let mut p = Problems::new();
    let value = parse_into(map, &mut p)?;
    p.finish()?;
    Ok(value)
}

/// Deserializes an object into `T` leniently: each field whose value does not fit `T` is named
/// in `p` and read as absent, so the rules checked afterwards still run on the rest of the body
/// and one answer names every bad field. Fails at once only when the body as a whole does not
/// fit `T` (then with every problem found).
pub fn parse_into<T: DeserializeOwned>(map: &Map<String, Value>, p: &mut Problems) -> Result<T, ApiError> {
    let first = match from_map::<T>(map) {
        Ok(v) => return Ok(v),
        Err(e) => e,
    };
    let mut rest = Map::new();
    let mut named = false;
    for (k, v) in map {
        let mut one = Map::new();
        one.insert(k.clone(), v.clone());
        match from_map::<T>(&one) {
            Ok(_) => {
                rest.insert(k.clone(), v.clone());
            }
            Err(e) => {
                named = true;
                p.push(e);
            }
        }
    }
    match from_map::<T>(&rest) {
        Ok(v) if named => Ok(v),
        Ok(_) => {
            // Only the fields together fail (never expected of an input type): name the body.
            p.push(first);
            Err(ApiError::Validation(std::mem::take(&mut p.0)))
        }
        Err(e) => {
            if !named {
                p.push(first);
            } else {
                p.push(e);
            }
            Err(ApiError::Validation(std::mem::take(&mut p.0)))
        }
    }
}

fn from_map<T: DeserializeOwned>(map: &Map<String, Value>) -> Result<T, FieldError> {
    // Read in place (the object is not copied first).
    serde_path_to_error::deserialize::<_, T>(map).map_err(|e| {
        let path = e.path().to_string();
        let message = clean_message(&e.inner().to_string());
        if let Some(name) = message.strip_prefix("unknown field `").and_then(|r| r.split('`').next()) {
            let field = if path == "." { name.to_owned() } else { path };
            return FieldError::new(field, "unknown field");
        }
        FieldError::new(if path == "." { "body".to_owned() } else { path }, message)
    })
}

fn clean_message(m: &str) -> String {
    let m = match m.find(" at line ") {
        Some(i) => &m[..i],
        None => m,
    };
    m.replace("invalid type: ", "invalid type, ")
}

/// Collects validation problems, then fails with all of them at once.
#[derive(Clone, Debug, Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    /// Names `field`, unless a problem already names it (a field gets one message: a value of
    /// the wrong type is not also "field is required").
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.push(FieldError::new(field, message));
    }

    /// Adds `e`, unless a problem already names its field.
    pub fn push(&mut self, e: FieldError) {
        if e.field.is_some() && self.0.iter().any(|x| x.field == e.field) {
            return;
        }
        self.0.push(e);
    }

    pub fn required<T>(&mut self, field: &str, v: &Maybe<T>) {
        if v.value().is_none() {
            self.add(field, "field is required");
        }
    }

    pub fn check(&mut self, ok: bool, field: &str, message: &str) {
        if !ok {
            self.add(field, message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }
}

/// A bulk body of the admin ingestion routes: one object or an array of up to `max`, each read as
/// `T`. Problems are named `[i].field` (bare `field` when one object was sent).
#[derive(Debug)]
pub struct Batch<T> {
    /// The objects that parsed: their index and the typed input (each object as sent is dropped
    /// once read: a batch of 10,000 is not held twice).
    pub items: Vec<(usize, T)>,
    pub single: bool,
}

impl<T: DeserializeOwned> Batch<T> {
    /// Reads `body`; what does not parse goes to `p` (a field of the wrong type is named there and
    /// its object read without it), a body of the wrong shape fails at once.
    pub fn parse(body: Value, max: usize, what: &str, p: &mut Problems) -> Result<Self, ApiError> {
        let (raw, single) = match body {
            Value::Array(items) => (items, false),
            obj @ Value::Object(_) => (vec![obj], true),
            _ => return Err(ApiError::invalid("body", format!("must be {what} or an array of them"))),
        };
        if raw.is_empty() || raw.len() > max {
            return Err(ApiError::invalid("body", format!("must hold 1 to {max} objects")));
        }
        let mut batch = Batch { items: Vec::with_capacity(raw.len()), single };
        for (i, item) in raw.into_iter().enumerate() {
            let Value::Object(map) = item else {
                p.add(batch.at(i, "body"), format!("must be {what}"));
                continue;
            };
            // A field of the wrong type is named and read as absent: the object's rules still run.
            let mut own = Problems::new();
            let parsed = parse_into::<T>(&map, &mut own);
            let errors = match &parsed {
                Err(ApiError::Validation(errors)) => errors.clone(),
                Err(_) => Vec::new(),
                Ok(_) => std::mem::take(&mut own.0),
            };
            for e in errors {
                p.add(batch.at(i, e.field.as_deref().unwrap_or("body")), e.message);
            }
            match parsed {
                Ok(v) => batch.items.push((i, v)),
                Err(ApiError::Validation(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(batch)
    }
}

impl<T> Batch<T> {
    /// The answer: the stored object when one was sent, else the array of them.
    pub fn answer<I>(&self, rows: I) -> axum::response::Response
    where
        I: IntoIterator,
        I::Item: serde::Serialize,
    {
        use axum::response::IntoResponse;
        let rows = rows.into_iter();
        let mut out = self.writer(rows.size_hint().0);
        rows.for_each(|r| out.push(&r));
        out.finish().unwrap_or_else(|e| e.into_response())
    }

    /// The answer written as its rows come (`answer` of rows not held together).
    pub fn writer(&self, expected: usize) -> super::respond::BatchWriter {
        super::respond::BatchWriter::new(expected, self.single)
    }

    /// The name of `field` of the object at `i`.
    /// Moves the problems of item `i` into `errors`, each named as the item's field
    /// (`[i].field`, or `field` for a single object); answers whether it had any.
    pub fn item_problems(&self, i: usize, p: Problems, errors: &mut Problems) -> bool {
        if p.is_empty() {
            return false;
        }
        for mut e in p.0 {
            e.field = Some(self.at(i, &e.field.unwrap_or_default()));
            errors.push(e);
        }
        true
    }

    pub fn at(&self, i: usize, field: &str) -> String {
        if self.single {
            field.to_owned()
        } else {
            format!("[{i}].{field}")
        }
    }
}

/// A plausible e-mail address (one address).
pub fn is_email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && local.len() <= 64
        && domain.len() <= 253
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';' || c == '<' || c == '>')
        && !domain.contains('@')
}

/// A comma-separated list of e-mail addresses; the bad ones are returned.
pub fn bad_emails(list: &str) -> Vec<String> {
    list.split(',').map(str::trim).filter(|a| !is_email(a)).map(str::to_owned).collect()
}

#[cfg(test)]
mod tests;
