//! What every resource does the same way: finding an object the caller sees, and validating the
//! nested objects several resources carry.

use std::future::Future;

use serde_json::Value;
use uuid::Uuid;

use crate::db::Tenancy;
use crate::domain::transformations;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::parse_sid;
use crate::http::input::{Maybe, Problems};

/// Checks a list of transformations with the one validator every object uses; returns its
/// normalized form (`direction` filled in) or `[]` when absent or bad (the problems say why).
/// A callback URL a partner sets (`callback_url`, `callbacks.<type>`): empty clears it; else an
/// http(s) URL that is not this server itself.
pub fn check_callback_url(own: &crate::domain::callback_url::OwnAddresses, field: &str, url: &str, p: &mut Problems) {
    if url.is_empty() {
        return;
    }
    if let Err(message) = crate::domain::callback_url::check(url, own) {
        p.add(field, message);
    }
}

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

/// A row by secure ID through this instance's object cache, `load`ed from the database on a
/// miss (a change on any instance drops it: its table's trigger, `cache.rs`).
pub async fn cached<T, F, Fut>(
    state: &crate::state::AppState,
    sid: Uuid,
    load: F,
) -> ApiResult<Option<std::sync::Arc<crate::cache::Cached<T>>>>
where
    T: crate::cache::Cacheable,
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = crate::db::RepoResult<Option<T>>>,
{
    let cache = state.objects.of::<T>();
    if let Some(v) = cache.get(&sid) {
        return Ok(Some(v));
    }
    let generation = cache.generation();
    Ok(load(sid).await?.map(|row| {
        let v = std::sync::Arc::new(crate::cache::Cached::new(row));
        cache.put(sid, v.clone(), generation);
        v
    }))
}

/// The object a path's secure ID names through the object cache ([`cached`]), if the caller
/// sees it and its owner (when the repository hides a deleted partner's rows) is not deleted;
/// else the reference's 404 `cannot find <what>`.
pub async fn find_cached<T, F, Fut>(
    state: &crate::state::AppState,
    caller: &Caller,
    raw_sid: &str,
    what: &str,
    load: F,
) -> ApiResult<std::sync::Arc<crate::cache::Cached<T>>>
where
    T: crate::cache::Cacheable + Owned,
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = crate::db::RepoResult<Option<T>>>,
{
    let row = find_visible(caller, raw_sid, what, |sid| cached(state, sid, load)).await?;
    match row.row.owner() {
        Some(owner) if crate::resources::partners::ops::find(state, owner).await?.is_none() => {
            Err(ApiError::not_found(what))
        }
        _ => Ok(row),
    }
}

/// Answers a cached object as a partner sees it: its JSON made once per cached version (field
/// filtering applied to it when asked).
pub fn respond_cached<T, W: serde::Serialize>(
    row: &crate::cache::Cached<T>,
    query: &crate::http::extract::QueryParams,
    wire: impl FnOnce(&T) -> W,
) -> ApiResult<axum::response::Response> {
    crate::http::respond::json_bytes(row.json(|r| serde_json::to_vec(&wire(r)).unwrap_or_default()), query)
}

/// Answers a cached object: as a partner sees it from its cached JSON, or built again for an
/// admin (who sees more) or with its partner (`with_related`).
pub async fn respond_found<T, W>(
    state: &crate::state::AppState,
    caller: &Caller,
    row: &crate::cache::Cached<T>,
    query: &crate::http::extract::QueryParams,
    wire: impl Fn(&T, bool) -> W,
) -> ApiResult<axum::response::Response>
where
    W: serde::Serialize + crate::resources::partners::ops::HasPartner,
{
    if caller.admin || query.with_related()? {
        return crate::resources::partners::ops::respond_object(state, caller, wire(&row.row, caller.admin), query)
            .await;
    }
    respond_cached(row, query, |r| wire(r, false))
}

/// An object in the partner tree.
pub trait Owned {
    /// The owner's place in the partner tree.
    fn tree_path(&self) -> &str;

    /// Whether `t` sees the object: by default, when its owner is in `t`'s tree (or `t` is admin).
    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        t.sees(self.tree_path())
    }
}

impl<T: Owned> Owned for std::sync::Arc<T> {
    fn tree_path(&self) -> &str {
        (**self).tree_path()
    }

    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        (**self).visible_to(t)
    }
}

impl<T: Owned> Owned for crate::cache::Cached<T> {
    fn tree_path(&self) -> &str {
        self.row.tree_path()
    }

    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        self.row.visible_to(t)
    }
}

/// Implements [`Owned`] for row types with a `tree_path` column.
macro_rules! owned_rows {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::resources::shared::Owned for $t {
            fn tree_path(&self) -> &str {
                &self.tree_path
            }
        })*
    };
}
pub(crate) use owned_rows;

/// Implements [`crate::cache::Cacheable`] for rows of a table whose repository hides a deleted
/// partner's rows (`owner` is the row's `partner_sid`).
macro_rules! cached_rows {
    ($($t:ty => $table:literal),* $(,)?) => {
        $(impl $crate::cache::Cacheable for $t {
            const TABLE: &'static str = $table;

            fn owner(&self) -> Option<uuid::Uuid> {
                Some(self.partner_sid)
            }
        })*
    };
}
pub(crate) use cached_rows;

/// The object a path's secure ID names, loaded by `load`, if the caller sees it; else the
/// reference's 404 `cannot find <what>` (an object outside the caller's tree is not found, never
/// forbidden).
pub async fn find_visible<R, E, F, Fut>(caller: &Caller, raw_sid: &str, what: &str, load: F) -> ApiResult<R>
where
    R: Owned,
    ApiError: From<E>,
    F: FnOnce(Uuid) -> Fut,
    Fut: Future<Output = Result<Option<R>, E>>,
{
    let sid = parse_sid(raw_sid, what)?;
    match load(sid).await? {
        Some(row) if row.visible_to(caller.tenancy()) => Ok(row),
        _ => Err(ApiError::not_found(what)),
    }
}
