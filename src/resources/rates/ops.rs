//! What the rates offer to other resources: the items a partner's calls are rated with.

use std::collections::HashMap;

use sha2::Digest;
use uuid::Uuid;

use super::repo;
use crate::db::RepoResult;
use crate::domain::rating::RateItem;
use crate::http::error::ApiResult;
use crate::state::AppState;

/// The plan rating a partner's direction and kind, as the object cache keeps it (keyed by a hash of
/// the three: see [`best_item`]); any change of the assignments drops them all.
struct Assigned(Option<Uuid>);

impl crate::cache::Cacheable for Assigned {
    const TABLE: &'static str = "rate_plan_assignments";
}

/// A plan's items by prefix, for rating in memory; `None` for a plan too large to keep
/// ([`MAX_CACHED_ITEMS`]), rated by the database.
struct PlanPrefixes(Option<Prefixes>);

struct Prefixes {
    by_prefix: HashMap<String, RateItem>,
    /// The item without a prefix: it rates any number no prefix matches.
    any: Option<RateItem>,
    longest: usize,
}

impl crate::cache::Cacheable for PlanPrefixes {
    const TABLE: &'static str = "rate_plans";
    /// With [`MAX_CACHED_ITEMS`]: at most about 30 MB of plans per instance.
    const MAX_ENTRIES: usize = 64;
}

/// Plans with more items are not kept in memory (rated by the database).
const MAX_CACHED_ITEMS: i64 = 5_000;

impl Prefixes {
    fn new(items: Vec<RateItem>) -> Self {
        let mut p = Prefixes { by_prefix: HashMap::with_capacity(items.len()), any: None, longest: 0 };
        for item in items {
            match item.prefix.clone() {
                Some(prefix) => {
                    p.longest = p.longest.max(prefix.len());
                    p.by_prefix.insert(prefix, item);
                }
                None => p.any = Some(item),
            }
        }
        p
    }

    /// The item of the longest prefix starting `number`, else the one without a prefix (as
    /// `repo::best_item` chooses).
    fn best(&self, number: &str) -> Option<&RateItem> {
        (1..=number.len().min(self.longest))
            .rev()
            .filter(|n| number.is_char_boundary(*n))
            .find_map(|n| self.by_prefix.get(&number[..n]))
            .or(self.any.as_ref())
    }
}

/// [`repo::best_item`] through the object cache: the assignment and the plan's items are read
/// once (and again after a change on any instance), the number is rated in memory.
pub async fn best_item(
    state: &AppState,
    partner: Uuid,
    direction: &str,
    kind: &str,
    number: &str,
) -> ApiResult<Option<RateItem>> {
    let digest = sha2::Sha256::digest(format!("{partner}\u{0}{direction}\u{0}{kind}").as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    let assigned = crate::resources::shared::cached(state, Uuid::from_bytes(key), |_| async {
        Ok(Some(Assigned(repo::plan_for(&state.pool, partner, direction, kind).await?.map(|p| p.rates_plan_sid))))
    })
    .await?;
    let Some(plan) = assigned.and_then(|a| a.row.0) else { return Ok(None) };
    let prefixes = crate::resources::shared::cached(state, plan, |plan| async move {
        let items = repo::plan_items_up_to(&state.pool, plan, MAX_CACHED_ITEMS + 1).await?;
        Ok(Some(PlanPrefixes((items.len() as i64 <= MAX_CACHED_ITEMS).then(|| Prefixes::new(items)))))
    })
    .await?;
    match prefixes.as_ref().and_then(|p| p.row.0.as_ref()) {
        Some(p) => Ok(p.best(number).cloned()),
        None => Ok(repo::best_item(&state.pool, partner, direction, kind, number).await?),
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn item(prefix: Option<&str>, price: i64) -> RateItem {
        RateItem {
            prefix: prefix.map(str::to_owned),
            price: Decimal::from(price),
            billing_increment: 1,
            billing_minimum: 1,
        }
    }

    #[test]
    fn the_prefix_map_rates_as_the_plans_items_do() {
        let plans = [
            vec![item(Some("1"), 1), item(Some("1760"), 2), item(Some("17605"), 3), item(None, 9)],
            vec![item(Some("44"), 4), item(Some("4420"), 5)],
            vec![item(None, 7)],
            vec![],
        ];
        let numbers = ["17605692222", "17601234567", "12125550100", "442071234567", "447911123456", "33123456789", "1"];
        for items in plans {
            let map = Prefixes::new(items.clone());
            for n in numbers {
                assert_eq!(map.best(n), crate::domain::rating::best(&items, n), "{n} in {items:?}");
            }
        }
    }
}
