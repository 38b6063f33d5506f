//! Field filtering: `include_fields` / `exclude_fields` (and the older `includeFields` /
//! `excludeFields`), comma-separated, applied once to the serialized JSON. Dot paths reach
//! into nested objects (`properties.login`).

use serde_json::{Map, Value};

use crate::http::extract::QueryParams;

#[derive(Clone, Debug, Default)]
pub struct Projection {
    include: Option<Vec<Vec<String>>>,
    exclude: Vec<Vec<String>>,
}

fn split(v: &str) -> Vec<Vec<String>> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty()).map(|s| s.split('.').map(str::to_owned).collect()).collect()
}

impl Projection {
    pub fn from_query(q: &QueryParams) -> Self {
        Projection {
            include: q.get_any(&["include_fields", "includeFields"]).map(|(_, v)| split(v)),
            exclude: q.get_any(&["exclude_fields", "excludeFields"]).map(|(_, v)| split(v)).unwrap_or_default(),
        }
    }

    pub fn is_identity(&self) -> bool {
        self.include.is_none() && self.exclude.is_empty()
    }

    pub fn apply(&self, v: &mut Value) {
        if let Some(include) = &self.include {
            if let Value::Object(map) = v {
                *map = keep(map, include);
            }
        }
        for path in &self.exclude {
            remove(v, path);
        }
    }
}

fn keep(map: &Map<String, Value>, paths: &[Vec<String>]) -> Map<String, Value> {
    let mut out = Map::new();
    // Keep the object's own key order.
    for (k, v) in map {
        let here: Vec<&Vec<String>> = paths.iter().filter(|p| p[0] == *k).collect();
        if here.is_empty() {
            continue;
        }
        if here.iter().any(|p| p.len() == 1) {
            out.insert(k.clone(), v.clone());
        } else if let Value::Object(inner) = v {
            let rest: Vec<Vec<String>> = here.iter().map(|p| p[1..].to_vec()).collect();
            out.insert(k.clone(), Value::Object(keep(inner, &rest)));
        }
    }
    out
}

fn remove(v: &mut Value, path: &[String]) {
    if let Value::Object(map) = v {
        if path.len() == 1 {
            map.shift_remove(&path[0]);
        } else if let Some(inner) = map.get_mut(&path[0]) {
            remove(inner, &path[1..]);
        }
    }
}

#[cfg(test)]
mod tests;
