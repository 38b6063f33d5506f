//! What the rates offer to other resources: the items a partner's calls are rated with.

use sha2::Digest;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo;
use crate::db::RepoResult;
use crate::domain::rating::{PrefixIndex, RateItem};
use crate::http::error::ApiResult;
use crate::state::AppState;

/// The plan rating a partner's direction and kind, as the object cache keeps it (keyed by a hash of
/// the three: see [`best_item`]); any change of the assignments drops them all.
struct Assigned(Option<Uuid>);

impl crate::cache::Cacheable for Assigned {
    const TABLE: &'static str = "rate_plan_assignments";
}

/// A plan's items indexed by prefix, for rating in memory; `None` for a plan too large to keep
/// ([`MAX_CACHED_ITEMS`]), rated by the database.
struct PlanPrefixes(Option<PrefixIndex>);

impl crate::cache::Cacheable for PlanPrefixes {
    const TABLE: &'static str = "rate_plans";
    /// With [`MAX_CACHED_ITEMS`]: at most about 30 MB of plans per instance.
    const MAX_ENTRIES: usize = 64;
}

/// Plans with more items are not kept in memory (rated by the database).
const MAX_CACHED_ITEMS: i64 = 5_000;

/// [`repo::best_item`] through the object cache: the assignment and the plan's items are read
/// once (and again after a change on any instance), the number is rated in memory. What rates a
/// single message or simulated call. What the cache lacks is read through `db` when given (the
/// caller's transaction: it holds a connection already), else through the pool.
pub async fn best_item(
    state: &AppState,
    mut db: Option<&mut PgConnection>,
    partner: Uuid,
    direction: &str,
    kind: &str,
    number: &str,
) -> ApiResult<Option<RateItem>> {
    let digest = sha2::Sha256::digest(format!("{partner}\u{0}{direction}\u{0}{kind}").as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    let conn = &mut db;
    let assigned = crate::resources::shared::cached(state, Uuid::from_bytes(key), move |_| async move {
        let plan = match conn {
            Some(c) => repo::plan_for(&mut **c, partner, direction, kind).await?,
            None => repo::plan_for(&state.pool, partner, direction, kind).await?,
        };
        Ok(Some(Assigned(plan.map(|p| p.rates_plan_sid))))
    })
    .await?;
    let Some(plan) = assigned.and_then(|a| a.row.0) else { return Ok(None) };
    let conn = &mut db;
    let prefixes = crate::resources::shared::cached(state, plan, move |plan| async move {
        let limit = MAX_CACHED_ITEMS + 1;
        let items = match conn {
            Some(c) => repo::plan_items_up_to(&mut **c, plan, limit).await?,
            None => repo::plan_items_up_to(&state.pool, plan, limit).await?,
        };
        Ok(Some(PlanPrefixes((items.len() as i64 <= MAX_CACHED_ITEMS).then(|| PrefixIndex::new(items)))))
    })
    .await?;
    if let Some(p) = prefixes.as_ref().and_then(|p| p.row.0.as_ref()) {
        return Ok(p.best(number).cloned());
    }
    Ok(match db {
        Some(c) => repo::best_item(c, partner, direction, kind, number).await?,
        None => repo::best_item(&state.pool, partner, direction, kind, number).await?,
    })
}

/// The items of the plan rating `partner`'s calls of a direction and kind (`pstn`,
/// `voip:<sub_type>`), `None` without a plan.
pub async fn rating_items(
    db: &mut sqlx::PgConnection,
    partner: Uuid,
    direction: &str,
    kind: &str,
) -> RepoResult<Option<Vec<RateItem>>> {
    match repo::plan_for(&mut *db, partner, direction, kind).await? {
        Some(plan) => Ok(Some(repo::plan_items(&mut *db, plan.rates_plan_sid).await?)),
        None => Ok(None),
    }
}
