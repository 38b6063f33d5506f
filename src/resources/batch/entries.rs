//! What one entry of a task does, through the same operations as the single-object routes
//! (`dids::ops`, `prefixes::ops`), in the transaction of the chunk it belongs to. The review is the
//! same operation run in a savepoint that is rolled back: it shows exactly what approval will do.

use std::collections::HashMap;

use serde_json::{Map, Value};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

use super::repo::{ItemRow, Review, TaskRow};
use crate::domain::phone;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::input::{parse_object, Problems};
use crate::http::listing::filter::{self, Condition};
use crate::http::patch::{self, wire_map, UpdateMode};
use crate::resources::dids::{self, repo::DidRow, types::DidInput};
use crate::resources::prefixes::{self, repo::PrefixRow, types::PrefixInput};
use crate::resources::shared::Owned;
use crate::state::AppState;

/// An entry as the lookups read it: digits for a phone number, the canonical form of a secure
/// ID; `None` when it cannot name anything of its `field`.
pub fn normalize(field: &str, entry: &str) -> Option<String> {
    match field {
        "did_sid" | "prefix_sid" => Uuid::parse_str(entry.trim()).ok().map(|u| u.to_string()),
        "phonenumber" => {
            let d = phone::digits(entry);
            (d.len() >= 4 && d.len() <= 15).then_some(d)
        }
        "prefix" => {
            let d = entry.trim();
            (!d.is_empty() && d.len() <= 15 && d.chars().all(|c| c.is_ascii_digit())).then(|| d.to_owned())
        }
        _ => None,
    }
}

/// The `version` of a review item whose entry the review found failing: it is not applied.
pub const FAILED_REVIEW: i32 = 0;

/// The objects the entries of a chunk name, locked for the chunk.
pub enum Loaded {
    None,
    Dids(HashMap<String, DidRow>),
    Prefixes(HashMap<String, Vec<PrefixRow>>),
}

/// What an entry did (or, in a review, would do).
pub struct Outcome {
    pub description: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub sid: Option<Uuid>,
    pub version: Option<i32>,
}

impl Outcome {
    /// An existing object changed (`after` is `None` once deleted).
    fn changed<W: serde::Serialize>(
        entry: &str,
        before: &W,
        after: Option<&W>,
        sid: Uuid,
        version: i32,
    ) -> ApiResult<Outcome> {
        Ok(Outcome {
            description: entry.to_owned(),
            before: Some(to_value(before)?),
            after: after.map(to_value).transpose()?,
            sid: Some(sid),
            version: Some(version),
        })
    }
}

/// A task at work: what every entry shares.
pub struct Work<'a> {
    pub state: &'a AppState,
    pub task: &'a TaskRow,
    caller: Caller,
    changes: Map<String, Value>,
    filter: Vec<Condition>,
}

impl<'a> Work<'a> {
    pub fn new(state: &'a AppState, task: &'a TaskRow) -> ApiResult<Self> {
        let filter = match task.rent_filter.as_deref() {
            Some(f) => filter::parse(f).map_err(|m| ApiError::bad_param("filter", m))?,
            None => Vec::new(),
        };
        let changes = match &task.data {
            Some(Value::Object(m)) if task.method == "PATCH" => m.clone(),
            _ => Map::new(),
        };
        let caller = Caller::acting_for(task.partner_sid, task.tree_path.clone(), task.admin);
        Ok(Work { state, task, caller, changes, filter })
    }

    fn field(&self) -> &str {
        self.task.field.as_deref().unwrap_or_default()
    }

    /// Loads (and locks) the objects the items name.
    pub async fn load(&self, conn: &mut PgConnection, items: &[ItemRow]) -> ApiResult<Loaded> {
        if self.task.method == "POST" {
            return Ok(Loaded::None);
        }
        let field = self.field();
        let keys: Vec<String> = items.iter().filter_map(|i| i.key.as_str().and_then(|k| normalize(field, k))).collect();
        let by_sid = field.ends_with("_sid");
        Ok(match self.task.kind.as_str() {
            "phonenumber" => {
                let rows = dids::repo::find_many(conn, by_sid, &keys).await?;
                Loaded::Dids(
                    rows.into_iter()
                        .map(|r| (if by_sid { r.did_sid.to_string() } else { r.phonenumber.clone() }, r))
                        .collect(),
                )
            }
            _ => {
                let mut map: HashMap<String, Vec<PrefixRow>> = HashMap::new();
                for r in prefixes::repo::find_many(conn, by_sid, &keys).await? {
                    let k = if by_sid { r.prefix_sid.to_string() } else { r.prefix.clone() };
                    map.entry(k).or_default().push(r);
                }
                Loaded::Prefixes(map)
            }
        })
    }

    /// Applies one item. `reviewed`: the object must still be at the version the review saw.
    pub async fn apply(&self, conn: &mut PgConnection, item: &ItemRow, loaded: &Loaded) -> ApiResult<Outcome> {
        if item.version == Some(FAILED_REVIEW) {
            return Err(self.refused("the review found that this entry fails: it is not applied"));
        }
        let entry = item.key.as_str().unwrap_or_default();
        let key = normalize(self.field(), entry).unwrap_or_default();
        match (self.task.kind.as_str(), self.task.method.as_str(), loaded) {
            ("phonenumber", "POST", _) => self.rent(conn, item).await,
            ("prefix", "POST", _) => {
                let input: PrefixInput = parse_object(&object_of(item)?)?;
                let row = prefixes::ops::create(
                    self.state,
                    conn,
                    &self.caller,
                    prefixes::types::Kind::Routing,
                    &input,
                    Problems::new(),
                )
                .await?;
                Ok(Outcome {
                    description: row.prefix.clone(),
                    before: None,
                    after: Some(to_value(&row.to_wire())?),
                    sid: None,
                    version: None,
                })
            }
            (_, method, Loaded::Dids(map)) => {
                let row = map
                    .get(&key)
                    .filter(|r| r.visible_to(self.caller.tenancy()))
                    .cloned()
                    .ok_or_else(|| ApiError::not_found("did"))?;
                self.check_reviewed(item, row.did_sid, row.version)?;
                let before = row.to_wire(self.task.admin);
                let (sid, version) = (row.did_sid, row.version);
                let after = if method == "PATCH" {
                    let merged = self.merged(&before, &dids::ops::updatable(self.task.admin))?;
                    let input: DidInput = parse_object(&merged)?;
                    Some(
                        dids::ops::update(&self.state.own, conn, row, &input, self.task.admin, Problems::new())
                            .await?
                            .to_wire(self.task.admin),
                    )
                } else {
                    dids::ops::release(conn, &row, self.state.config.did_aging_seconds).await?;
                    dids::repo::get(conn, sid, false).await?.map(|r| r.to_wire(self.task.admin))
                };
                Outcome::changed(entry, &before, after.as_ref(), sid, version)
            }
            (_, method, Loaded::Prefixes(map)) => {
                let found: Vec<&PrefixRow> = map
                    .get(&key)
                    .map(|v| v.iter().filter(|r| r.visible_to(self.caller.tenancy())).collect())
                    .unwrap_or_default();
                let row = match found.as_slice() {
                    [] => return Err(ApiError::not_found("prefix")),
                    [one] => (*one).clone(),
                    many => {
                        return Err(ApiError::Conflict(vec![FieldError::new(
                            "prefix",
                            format!("{} prefixes are {key}: name them by prefix_sid", many.len()),
                        )]))
                    }
                };
                self.check_reviewed(item, row.prefix_sid, row.version)?;
                let before = row.to_wire();
                let (sid, version) = (row.prefix_sid, row.version);
                let after = if method == "PATCH" {
                    let input: PrefixInput = parse_object(&self.merged(&before, prefixes::types::UPDATABLE)?)?;
                    Some(prefixes::ops::update(conn, row, &input, Problems::new()).await?.to_wire())
                } else {
                    prefixes::ops::delete(conn, &row).await?;
                    None
                };
                Outcome::changed(entry, &before, after.as_ref(), sid, version)
            }
            _ => Err(ApiError::internal("a batch task of an unknown kind")),
        }
    }

    /// Rents the number a data object asks for (or the first available one matching the task's
    /// filter), as `POST /phonenumber/dids` does.
    async fn rent(&self, conn: &mut PgConnection, item: &ItemRow) -> ApiResult<Outcome> {
        let input: DidInput = parse_object(&object_of(item)?)?;
        let mut p = Problems::new();
        let number = dids::ops::wanted_number(&input, &mut p);
        let checked = dids::ops::check(&self.state.own, conn, Some(self.task.partner_sid), &input, &mut p).await?;
        p.finish()?;
        let row =
            dids::ops::rent(conn, self.task.partner_sid, number.as_deref(), &self.filter, &input, checked).await?;
        Ok(Outcome {
            description: row.phonenumber.clone(),
            before: None,
            after: Some(to_value(&row.to_wire(self.task.admin))?),
            sid: Some(row.did_sid),
            version: Some(row.version),
        })
    }

    /// The updatable attributes of `current` with the task's changes applied, as a PATCH does.
    fn merged(&self, current: &impl serde::Serialize, updatable: &[&str]) -> ApiResult<Map<String, Value>> {
        Ok(patch::apply(&wire_map(current)?, &self.changes, updatable, UpdateMode::Patch { nested_replace: false }))
    }

    fn refused(&self, message: impl Into<String>) -> ApiError {
        let field = if self.task.method == "POST" { "data" } else { self.field() };
        ApiError::Conflict(vec![FieldError::new(field, message)])
    }

    /// A reviewed entry applies to the object the review saw, at the version it saw.
    fn check_reviewed(&self, item: &ItemRow, sid: Uuid, now: i32) -> ApiResult<()> {
        match (item.object_sid, item.version) {
            (Some(seen), _) if seen != sid => Err(self.refused("names another object than the one reviewed")),
            (_, Some(seen)) if seen != now => {
                Err(self.refused(format!("the object changed after the review (version {seen} reviewed, now {now})")))
            }
            _ => Ok(()),
        }
    }

    /// The review of one item: the operation run in a savepoint and rolled back. An item that
    /// would fail says why in its description.
    pub async fn review(&self, conn: &mut PgConnection, item: &ItemRow, loaded: &Loaded) -> ApiResult<Review> {
        let review = |description: String, fields: Value, sid: Option<Uuid>, version: Option<i32>| Review {
            idx: item.idx,
            description,
            fields,
            sid,
            version,
        };
        // "The first available number" is not one number until it is rented: described, not tried.
        if self.task.kind == "phonenumber" && self.task.method == "POST" {
            let data = object_of(item)?;
            if data.get("phonenumber").is_none_or(Value::is_null) {
                let mut description = "the first available number".to_owned();
                if let Some(f) = &self.task.rent_filter {
                    description.push_str(&format!(" matching {f}"));
                }
                let fields = data.iter().map(|(k, v)| (k.clone(), Value::Array(vec![Value::Null, v.clone()])));
                return Ok(review(description, Value::Object(fields.collect()), None, None));
            }
        }
        let mut sp = conn.begin().await?;
        let result = self.apply(&mut sp, item, loaded).await;
        sp.rollback().await?;
        match result {
            Ok(o) => {
                let fields = diff(o.before.as_ref(), o.after.as_ref());
                let version = if self.task.method == "POST" { None } else { o.version };
                let sid = if self.task.method == "POST" && self.task.kind == "prefix" { None } else { o.sid };
                Ok(review(o.description, fields, sid, version))
            }
            Err(e @ (ApiError::Unavailable | ApiError::Internal(_))) => Err(e),
            Err(e) => {
                let entry = match &item.key {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let reason = e.body()["errors"]
                    .as_array()
                    .map(|errs| {
                        errs.iter()
                            .map(|x| match x["field"].as_str() {
                                Some(f) => format!("{f}: {}", x["message"].as_str().unwrap_or_default()),
                                None => x["message"].as_str().unwrap_or_default().to_owned(),
                            })
                            .collect::<Vec<_>>()
                            .join("; ")
                    })
                    .unwrap_or_default();
                Ok(review(format!("{entry}: fails ({reason})"), Value::Object(Map::new()), None, Some(FAILED_REVIEW)))
            }
        }
    }
}

fn object_of(item: &ItemRow) -> ApiResult<Map<String, Value>> {
    match &item.key {
        Value::Object(m) => Ok(m.clone()),
        _ => Err(ApiError::invalid("data", "must be an object")),
    }
}

fn to_value(v: &impl serde::Serialize) -> ApiResult<Value> {
    serde_json::to_value(v).map_err(ApiError::internal)
}

/// `{attribute: [before, after]}` for every attribute that differs (bookkeeping left out).
fn diff(before: Option<&Value>, after: Option<&Value>) -> Value {
    const SKIP: &[&str] = &["date_status_changed", "partner"];
    let empty = Map::new();
    let b = before.and_then(Value::as_object).unwrap_or(&empty);
    let a = after.and_then(Value::as_object).unwrap_or(&empty);
    let mut out = Map::new();
    for k in b.keys().chain(a.keys().filter(|k| !b.contains_key(*k))) {
        if SKIP.contains(&k.as_str()) {
            continue;
        }
        let (x, y) = (b.get(k).unwrap_or(&Value::Null), a.get(k).unwrap_or(&Value::Null));
        if x != y {
            out.insert(k.clone(), Value::Array(vec![x.clone(), y.clone()]));
        }
    }
    Value::Object(out)
}
