//! Rate plans, their items and assignments: all the SQL of the rates.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{DidRate, RateCall, RatePlan};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::domain::money::Money;
use crate::domain::rating::RateItem;

/// A plan as the rate lists name it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PlanRow {
    pub rates_plan_sid: Uuid,
    pub name: String,
    pub effective_date: DateTime<Utc>,
}

/// The plan rating a partner's calls (or numbers) of a direction and kind: its own, else the
/// default.
pub async fn plan_for<'e>(
    db: impl PgExecutor<'e>,
    partner: Uuid,
    direction: &str,
    kind: &str,
) -> RepoResult<Option<PlanRow>> {
    Ok(sqlx::query_as(
        "SELECT r.rates_plan_sid, r.name, r.effective_date FROM rate_plan_assignments a
           JOIN rate_plans r ON r.rates_plan_sid = a.rates_plan_sid
          WHERE (a.partner_sid = $1 OR a.partner_sid IS NULL) AND a.direction = $2 AND a.kind = $3
          ORDER BY a.partner_sid NULLS LAST LIMIT 1",
    )
    .bind(partner)
    .bind(direction)
    .bind(kind)
    .fetch_optional(db)
    .await?)
}

/// The item of the plan rating `partner`'s `direction`/`kind` that rates `number`: its longest
/// prefix that starts the number (an item without a prefix rates any), in one indexed query.
pub async fn best_item<'e>(
    db: impl PgExecutor<'e>,
    partner: Uuid,
    direction: &str,
    kind: &str,
    number: &str,
) -> RepoResult<Option<RateItem>> {
    let prefixes: Vec<&str> =
        (1..=number.len()).filter(|n| number.is_char_boundary(*n)).map(|n| &number[..n]).collect();
    let row: Option<(Option<String>, Decimal, i32, i32)> = sqlx::query_as(
        "SELECT i.prefix, i.price, i.billing_increment, i.billing_minimum
           FROM (SELECT a.rates_plan_sid FROM rate_plan_assignments a
                  WHERE (a.partner_sid = $1 OR a.partner_sid IS NULL) AND a.direction = $2 AND a.kind = $3
                  ORDER BY a.partner_sid NULLS LAST LIMIT 1) p
           JOIN rate_plan_items i ON i.rates_plan_sid = p.rates_plan_sid
          WHERE i.prefix IS NULL OR i.prefix = ANY($4)
          ORDER BY length(i.prefix) DESC NULLS LAST LIMIT 1",
    )
    .bind(partner)
    .bind(direction)
    .bind(kind)
    .bind(&prefixes)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(prefix, price, billing_increment, billing_minimum)| RateItem {
        prefix,
        price,
        billing_increment,
        billing_minimum,
    }))
}

/// Every item of a plan, as the rating reads them.
pub async fn plan_items<'e>(db: impl PgExecutor<'e>, plan: Uuid) -> RepoResult<Vec<RateItem>> {
    plan_items_up_to(db, plan, i64::MAX).await
}

/// At most `limit` items of a plan (more than `limit - 1` tells the plan is larger).
pub async fn plan_items_up_to<'e>(db: impl PgExecutor<'e>, plan: Uuid, limit: i64) -> RepoResult<Vec<RateItem>> {
    let rows: Vec<(Option<String>, Decimal, i32, i32)> = sqlx::query_as(
        "SELECT prefix, price, billing_increment, billing_minimum FROM rate_plan_items WHERE rates_plan_sid = $1
          LIMIT $2",
    )
    .bind(plan)
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(prefix, price, billing_increment, billing_minimum)| RateItem {
            prefix,
            price,
            billing_increment,
            billing_minimum,
        })
        .collect())
}

const ITEM_FROM: &str = "rate_plan_items i LEFT JOIN countries co ON co.iso_3166_alpha_3 = i.country_code";

/// A call plan's item.
#[derive(sqlx::FromRow)]
pub struct ItemRow {
    billing_increment: i32,
    billing_minimum: i32,
    country_code: Option<String>,
    country_name: Option<String>,
    prefix: Option<String>,
    price: Decimal,
}

impl ItemRow {
    pub fn to_wire(&self) -> RateCall {
        RateCall {
            billing_increment: Money(Decimal::from(self.billing_increment)),
            billing_minimum: Money(Decimal::from(self.billing_minimum)),
            country_code: self.country_code.clone(),
            country_name: self.country_name.clone(),
            prefix: self.prefix.clone(),
            price: Money(self.price),
        }
    }
}

const ITEM_COLUMNS: &str =
    "i.billing_increment, i.billing_minimum, i.country_code, co.common_name AS country_name, i.prefix, i.price";

pub const ITEMS: ListSpec = ListSpec {
    fields: &[
        Field::new("billing_increment", "i.billing_increment", T::Int),
        Field::new("billing_minimum", "i.billing_minimum", T::Int),
        Field::new("country_code", "i.country_code", T::Text),
        Field::new("country_name", "co.common_name", T::Text),
        Field::new("prefix", "i.prefix", T::Text),
        Field::new("price", "i.price", T::Decimal),
    ],
    sid: "i.id",
    default_order: "i.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// A DID rental plan's item: a price, or up to seven tiers.
#[derive(sqlx::FromRow)]
pub struct DidItemRow {
    classification_sid: Option<Uuid>,
    country_code: Option<String>,
    country_name: Option<String>,
    prefix: Option<String>,
    price: Decimal,
    tier_quantities: Option<Vec<i32>>,
    tier_prices: Option<Vec<Decimal>>,
}

impl DidItemRow {
    pub fn to_wire(&self) -> DidRate {
        // An item without tiers is one tier from 0 at its price.
        let (q, pr) = match (&self.tier_quantities, &self.tier_prices) {
            (Some(q), Some(p)) if !q.is_empty() => (q.clone(), p.clone()),
            _ => (vec![0], vec![self.price]),
        };
        let qn = |i: usize| q.get(i).copied();
        let pn = |i: usize| pr.get(i).map(|d| Money(*d));
        DidRate {
            classification_sid: self.classification_sid,
            country_code: self.country_code.clone(),
            country_name: self.country_name.clone(),
            prefix: self.prefix.clone(),
            price_0: pn(0),
            price_1: pn(1),
            price_2: pn(2),
            price_3: pn(3),
            price_4: pn(4),
            price_5: pn(5),
            price_6: pn(6),
            quantity_0: qn(0),
            quantity_1: qn(1),
            quantity_2: qn(2),
            quantity_3: qn(3),
            quantity_4: qn(4),
            quantity_5: qn(5),
            quantity_6: qn(6),
        }
    }
}

const DID_ITEM_COLUMNS: &str = "i.classification_sid, i.country_code, co.common_name AS country_name, i.prefix, \
    i.price, i.tier_quantities, i.tier_prices";

pub const DID_ITEMS: ListSpec = ListSpec {
    fields: &[
        Field::new("classification_sid", "i.classification_sid", T::Uuid),
        Field::new("country_code", "i.country_code", T::Text),
        Field::new("country_name", "co.common_name", T::Text),
        Field::new("prefix", "i.prefix", T::Text),
    ],
    sid: "i.id",
    default_order: "i.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

async fn items_of<'e, R>(
    db: impl PgExecutor<'e> + Copy,
    spec: &ListSpec,
    columns: &str,
    plan: Uuid,
    q: &ListQuery,
) -> RepoResult<Page<R>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    listing::fetch(db, spec, q, columns, ITEM_FROM, &move |qb| {
        qb.push(" AND i.rates_plan_sid = ").push_bind(plan);
    })
    .await
}

/// A page of a call plan's items.
pub async fn call_items<'e>(db: impl PgExecutor<'e> + Copy, plan: Uuid, q: &ListQuery) -> RepoResult<Page<ItemRow>> {
    items_of(db, &ITEMS, ITEM_COLUMNS, plan, q).await
}

/// A page of a DID rental plan's items.
pub async fn did_items<'e>(db: impl PgExecutor<'e> + Copy, plan: Uuid, q: &ListQuery) -> RepoResult<Page<DidItemRow>> {
    items_of(db, &DID_ITEMS, DID_ITEM_COLUMNS, plan, q).await
}

/// A plan with its item count, as the admin routes show it.
#[derive(sqlx::FromRow)]
pub struct PlanListRow {
    rates_plan_sid: Uuid,
    name: String,
    effective_date: DateTime<Utc>,
    items_count: i64,
}

impl crate::cache::Cacheable for PlanListRow {
    const TABLE: &'static str = "rate_plans";
}

impl PlanListRow {
    pub fn sid(&self) -> Uuid {
        self.rates_plan_sid
    }

    pub fn to_wire(&self) -> RatePlan {
        RatePlan {
            effective_date: Some(self.effective_date.into()),
            items_count: self.items_count,
            name: self.name.clone(),
            rates_plan_sid: self.rates_plan_sid,
        }
    }
}

const PLAN_COLUMNS: &str = "r.rates_plan_sid, r.name, r.effective_date, (SELECT COUNT(*) FROM rate_plan_items i WHERE i.rates_plan_sid = r.rates_plan_sid) AS items_count";

pub const PLANS: ListSpec = ListSpec {
    fields: &[
        Field::new("effective_date", "r.effective_date", T::Timestamp),
        Field::new("name", "r.name", T::Text),
        Field::new("rates_plan_sid", "r.rates_plan_sid", T::Uuid),
    ],
    sid: "r.rates_plan_sid",
    default_order: "r.date_created",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_plans<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<PlanListRow>> {
    listing::fetch(db, &PLANS, q, PLAN_COLUMNS, "rate_plans r", &|_| {}).await
}

pub async fn get_plan<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<PlanListRow>> {
    Ok(sqlx::query_as(&format!("SELECT {PLAN_COLUMNS} FROM rate_plans r WHERE r.rates_plan_sid = $1"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

/// An item of a new plan, as the `rate_plan_items` table holds it.
#[derive(Debug, Serialize)]
pub struct NewItem {
    pub prefix: Option<String>,
    pub country_code: Option<String>,
    pub price: Option<Decimal>,
    pub billing_increment: i32,
    pub billing_minimum: i32,
    pub classification_sid: Option<Uuid>,
    pub tier_quantities: Option<Vec<i32>>,
    pub tier_prices: Option<Vec<Decimal>>,
}

/// Stores a plan and its items (in one statement however many); answers the stored plan.
pub async fn insert_plan(
    db: &mut PgConnection,
    sid: Uuid,
    name: &str,
    effective: DateTime<Utc>,
    items: &[NewItem],
) -> RepoResult<PlanListRow> {
    sqlx::query("INSERT INTO rate_plans (rates_plan_sid, name, effective_date) VALUES ($1, $2, $3)")
        .bind(sid)
        .bind(name)
        .bind(effective)
        .execute(&mut *db)
        .await?;
    if !items.is_empty() {
        sqlx::query(
            "INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum,
                                          classification_sid, tier_quantities, tier_prices)
             SELECT $1, prefix, country_code, price, billing_increment, billing_minimum,
                    classification_sid, tier_quantities, tier_prices
               FROM jsonb_populate_recordset(NULL::rate_plan_items, $2)",
        )
        .bind(sid)
        .bind(sqlx::types::Json(items))
        .execute(&mut *db)
        .await?;
    }
    get_plan(&mut *db, sid).await?.ok_or(crate::db::RepoError::Vanished("a new rate plan"))
}

/// Deletes a plan; whether there was one.
pub async fn delete_plan<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<bool> {
    let done = sqlx::query("DELETE FROM rate_plans WHERE rates_plan_sid = $1").bind(sid).execute(db).await?;
    Ok(done.rows_affected() > 0)
}

/// Locks a plan against deletion while it is assigned; whether it exists.
pub async fn lock_plan(db: &mut PgConnection, sid: Uuid) -> RepoResult<bool> {
    Ok(sqlx::query_scalar::<_, i32>("SELECT 1 FROM rate_plans WHERE rates_plan_sid = $1 FOR SHARE")
        .bind(sid)
        .fetch_optional(db)
        .await?
        .is_some())
}

/// Makes `plan` the one rating `partner`'s (or every partner's without their own, for `None`)
/// calls of a direction and kind.
pub async fn assign(
    db: &mut PgConnection,
    partner: Option<Uuid>,
    direction: &str,
    kind: &str,
    plan: Uuid,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid) VALUES ($1, $2, $3, $4)
         ON CONFLICT (COALESCE(partner_sid, '00000000-0000-0000-0000-000000000000'::uuid), direction, kind)
         DO UPDATE SET rates_plan_sid = EXCLUDED.rates_plan_sid",
    )
    .bind(partner)
    .bind(direction)
    .bind(kind)
    .bind(plan)
    .execute(db)
    .await?;
    Ok(())
}

/// Makes `plan` every partner's default for a direction and kind, unless an admin set one (the
/// built-in reference plans give way).
pub async fn assign_default_over_builtin<'e>(
    db: impl PgExecutor<'e>,
    direction: &str,
    kind: &str,
    plan: Uuid,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid) VALUES (NULL, $1, $2, $3)
         ON CONFLICT (COALESCE(partner_sid, '00000000-0000-0000-0000-000000000000'::uuid), direction, kind)
         DO UPDATE SET rates_plan_sid = EXCLUDED.rates_plan_sid
         WHERE rate_plan_assignments.rates_plan_sid IN (SELECT rates_plan_sid FROM rate_plans WHERE builtin)",
    )
    .bind(direction)
    .bind(kind)
    .bind(plan)
    .execute(db)
    .await?;
    Ok(())
}
