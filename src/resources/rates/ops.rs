//! What the rates offer to other resources: the items a partner's calls are rated with.

use uuid::Uuid;

use super::repo;
use crate::db::RepoResult;
use crate::domain::rating::RateItem;

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
