//! JSON read back from `jsonb` comes with its keys in PostgreSQL's storage order (shortest
//! first); the API shows every object's keys alphabetically, as the reference's samples do.

use serde_json::{Map, Value};

/// A copy with the keys of every nested object in alphabetical order.
pub fn sorted(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::with_capacity(m.len());
            for k in keys {
                out.insert(k.clone(), sorted(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests;
