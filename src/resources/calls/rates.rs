//! Rate plans (admin) and the rates a partner reads: `GET /calls/rates/{inbound|outbound}/pstn`
//! and `.../voip/{sub_type}`, each with its `/csv` download.

use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::repo::{self, PlanRow};
use super::types::VOIP_SUB_TYPES;
use crate::domain::money::Money;
use crate::domain::time::{parse_instant, Timestamp};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, Body, PathParams};
use crate::http::input::{Maybe, Problems};
use crate::http::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page, RequestUrl};
use crate::http::respond;
use crate::state::AppState;

/// The Rate Call object (an item of a plan).
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RateCall {
    #[sqlx(skip)]
    pub billing_increment: Money,
    #[sqlx(skip)]
    pub billing_minimum: Money,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub prefix: Option<String>,
    #[sqlx(skip)]
    pub price: Money,
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    billing_increment: i32,
    billing_minimum: i32,
    country_code: Option<String>,
    country_name: Option<String>,
    prefix: Option<String>,
    price: Decimal,
}

impl ItemRow {
    fn to_wire(&self) -> RateCall {
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
const ITEM_FROM: &str = "rate_plan_items i LEFT JOIN countries co ON co.iso_3166_alpha_3 = i.country_code";

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

/// The rate envelope: the list keys with the plan's.
#[derive(Serialize)]
struct RateEnvelope {
    active: &'static str,
    count: usize,
    effective_date: Timestamp,
    has_more: bool,
    items: Vec<Value>,
    limit: i64,
    offset: i64,
    /// `null` on the call rate lists (as their samples), the links on the DID rates.
    pagination: Value,
    partner_sid: Uuid,
    rates_plan: Value,
    total: Option<i64>,
}

async fn plan(state: &AppState, caller: &Caller, direction: &str, kind: &str) -> ApiResult<PlanRow> {
    repo::plan_for(&state.pool, caller.partner_sid(), direction, kind)
        .await?
        .ok_or_else(|| ApiError::not_found("rates plan"))
}

fn direction_of(uri: &OriginalUri) -> &'static str {
    if uri.0.path().contains("/outbound/") {
        "outbound"
    } else {
        "inbound"
    }
}

async fn rates(
    state: AppState,
    caller: Caller,
    url: RequestUrl,
    direction: &str,
    kind: &str,
    csv: bool,
) -> ApiResult<Response> {
    let mut q = ListQuery::parse(&url.query, &ITEMS)?;
    let plan = plan(&state, &caller, direction, kind).await?;
    if csv {
        q.limit = listing::MAX_LIMIT * 1000;
        q.offset = 0;
    }
    let page = item_page(&state, &ITEMS, &q, ITEM_COLUMNS, plan.rates_plan_sid, ItemRow::to_wire).await?;
    if csv {
        return Ok(csv_response(&format!("{direction}_{}_rates.csv", kind.replace(':', "_")), &page.items));
    }
    Ok(envelope(&plan, &caller, &q, page, Value::Null))
}

/// A page of a plan's items in their wire form, field filtering applied.
async fn item_page<R, W>(
    state: &AppState,
    spec: &ListSpec,
    q: &ListQuery,
    columns: &str,
    plan: Uuid,
    to_wire: fn(&R) -> W,
) -> ApiResult<Page<Value>>
where
    R: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    W: Serialize,
{
    let scope = move |qb: &mut listing::Qb<'_>| {
        qb.push(" AND i.rates_plan_sid = ").push_bind(plan);
    };
    let page: Page<R> = listing::fetch(&state.pool, spec, q, columns, ITEM_FROM, &scope).await?;
    let mut items = Vec::with_capacity(page.items.len());
    for row in &page.items {
        let mut v = serde_json::to_value(to_wire(row)).map_err(ApiError::internal)?;
        q.projection.apply(&mut v);
        items.push(v);
    }
    Ok(Page { items, has_more: page.has_more, total: page.total })
}

/// The rate envelope of a plan's page: `pagination` is `null` on the call rates (as their samples
/// show) and the links on the DID rates.
fn envelope(plan: &PlanRow, caller: &Caller, q: &ListQuery, page: Page<Value>, pagination: Value) -> Response {
    let env = RateEnvelope {
        active: if plan.effective_date <= chrono::Utc::now() { "yes" } else { "no" },
        count: page.items.len(),
        effective_date: plan.effective_date.into(),
        has_more: page.has_more,
        items: page.items,
        limit: q.limit,
        offset: q.offset,
        pagination,
        partner_sid: caller.partner_sid(),
        rates_plan: json!({"name": plan.name, "rates_plan_sid": plan.rates_plan_sid}),
        total: page.total,
    };
    Json(env).into_response()
}

/// The DID Rate object: the monthly rental price of numbers by tier, `price_N` once the partner
/// holds `quantity_N` numbers (tiers a plan does not have are `null`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DidRate {
    pub classification_sid: Option<Uuid>,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub prefix: Option<String>,
    pub price_0: Option<Money>,
    pub price_1: Option<Money>,
    pub price_2: Option<Money>,
    pub price_3: Option<Money>,
    pub price_4: Option<Money>,
    pub price_5: Option<Money>,
    pub price_6: Option<Money>,
    pub quantity_0: Option<i32>,
    pub quantity_1: Option<i32>,
    pub quantity_2: Option<i32>,
    pub quantity_3: Option<i32>,
    pub quantity_4: Option<i32>,
    pub quantity_5: Option<i32>,
    pub quantity_6: Option<i32>,
}

#[derive(sqlx::FromRow)]
struct DidItemRow {
    classification_sid: Option<Uuid>,
    country_code: Option<String>,
    country_name: Option<String>,
    prefix: Option<String>,
    price: Decimal,
    tier_quantities: Option<Vec<i32>>,
    tier_prices: Option<Vec<Decimal>>,
}

impl DidItemRow {
    fn to_wire(&self) -> DidRate {
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

/// `GET /phonenumber/rates` (alias `/dids/rates`): the DID rental rates of the caller's plan.
pub async fn did_rates(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &DID_ITEMS)?;
    let plan = plan(&state, &caller, "any", "did").await?;
    let columns = "i.classification_sid, i.country_code, co.common_name AS country_name, i.prefix, i.price, \
                   i.tier_quantities, i.tier_prices";
    let page = item_page(&state, &DID_ITEMS, &q, columns, plan.rates_plan_sid, DidItemRow::to_wire).await?;
    let links = Value::Object(listing::pagination(None, None, page.has_more, &q, &url));
    Ok(envelope(&plan, &caller, &q, page, links))
}

fn csv_cell(v: &Value) -> String {
    let s = match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// A CSV download: a header row from the objects' keys, one row per object.
pub fn csv_response(filename: &str, items: &[Value]) -> Response {
    let columns: Vec<String> = match items.first() {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => ITEMS.fields.iter().map(|f| f.name.to_owned()).collect(),
    };
    let mut out = columns.join(",");
    out.push_str("\r\n");
    for it in items {
        let row: Vec<String> = columns.iter().map(|c| csv_cell(it.get(c).unwrap_or(&Value::Null))).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
        ],
        out,
    )
        .into_response()
}

pub async fn pstn_rates(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    url: RequestUrl,
) -> ApiResult<Response> {
    rates(state, caller, url, direction_of(&uri), "pstn", false).await
}

pub async fn pstn_rates_csv(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    url: RequestUrl,
) -> ApiResult<Response> {
    rates(state, caller, url, direction_of(&uri), "pstn", true).await
}

fn voip_kind(sub_type: &str) -> ApiResult<String> {
    if VOIP_SUB_TYPES.contains(&sub_type) {
        Ok(format!("voip:{sub_type}"))
    } else {
        Err(ApiError::NotFound(format!("cannot find sub_type {sub_type}")))
    }
}

pub async fn voip_rates(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    PathParams(sub_type): PathParams<String>,
    url: RequestUrl,
) -> ApiResult<Response> {
    let kind = voip_kind(&sub_type)?;
    rates(state, caller, url, direction_of(&uri), &kind, false).await
}

pub async fn voip_rates_csv(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    PathParams(sub_type): PathParams<String>,
    url: RequestUrl,
) -> ApiResult<Response> {
    let kind = voip_kind(&sub_type)?;
    rates(state, caller, url, direction_of(&uri), &kind, true).await
}

// ---- admin: rate plans ----

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub effective_date: Maybe<String>,
    #[serde(default)]
    pub items: Maybe<Vec<ItemInput>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    #[serde(default)]
    pub prefix: Maybe<String>,
    #[serde(default)]
    pub country_code: Maybe<String>,
    #[serde(default)]
    pub price: Maybe<Money>,
    #[serde(default)]
    pub billing_increment: Maybe<i32>,
    #[serde(default)]
    pub billing_minimum: Maybe<i32>,
    /// DID rental plans: the numbers' classification the item prices.
    #[serde(default)]
    pub classification_sid: Maybe<String>,
    /// DID rental plans: up to seven tiers, the first from quantity 0.
    #[serde(default)]
    pub tiers: Maybe<Vec<TierInput>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    #[serde(default)]
    pub quantity: Maybe<i32>,
    #[serde(default)]
    pub price: Maybe<Money>,
}

/// How many price tiers a DID rental item has at the most (`price_0` .. `price_6`).
pub const MAX_TIERS: usize = 7;

/// A rate plan as the admin routes show it.
#[derive(Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RatePlan {
    #[sqlx(skip)]
    pub effective_date: Option<Timestamp>,
    pub items_count: i64,
    pub name: String,
    pub rates_plan_sid: Uuid,
}

#[derive(sqlx::FromRow)]
struct PlanListRow {
    rates_plan_sid: Uuid,
    name: String,
    effective_date: chrono::DateTime<chrono::Utc>,
    items_count: i64,
}

impl PlanListRow {
    fn to_wire(&self) -> RatePlan {
        RatePlan {
            effective_date: Some(self.effective_date.into()),
            items_count: self.items_count,
            name: self.name.clone(),
            rates_plan_sid: self.rates_plan_sid,
        }
    }
}

const PLAN_COLUMNS: &str = "r.rates_plan_sid, r.name, r.effective_date, (SELECT COUNT(*) FROM rate_plan_items i WHERE i.rates_plan_sid = r.rates_plan_sid) AS items_count";

const PLANS: ListSpec = ListSpec {
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

pub async fn create_plan(
    State(state): State<AppState>,
    _caller: Caller,
    Body { input, problems: mut p, .. }: Body<PlanInput>,
) -> ApiResult<Response> {
    p.required("name", &input.name);
    let effective = match input.effective_date.value() {
        None => chrono::Utc::now(),
        Some(s) => parse_instant(s).unwrap_or_else(|| {
            p.add("effective_date", "must be a date and time");
            chrono::Utc::now()
        }),
    };
    let items = input.items.into_option().unwrap_or_default();
    let mut rows = Vec::with_capacity(items.len());
    let sid = Uuid::new_v4();
    for (i, it) in items.iter().enumerate() {
        let at = |f: &str| format!("items[{i}].{f}");
        let tiers = it.tiers.value().map(Vec::as_slice).unwrap_or_default();
        let (quantities, tier_prices) = check_tiers(tiers, &at("tiers"), &mut p);
        // A tiered item's price is its first tier's.
        let price = it.price.value().map(|m| m.0).or(tier_prices.first().copied());
        match price {
            None => p.add(at("price"), "field is required"),
            Some(pr) => p.check(pr >= Decimal::ZERO, &at("price"), "must not be negative"),
        }
        let classification = match it.classification_sid.value() {
            None => None,
            Some(c) => {
                let u = Uuid::parse_str(c).ok();
                p.check(u.is_some(), &at("classification_sid"), "must be a secure ID");
                u
            }
        };
        if let Some(x) = it.prefix.value() {
            p.check(
                !x.is_empty() && x.len() <= 15 && x.chars().all(|c| c.is_ascii_digit()),
                &at("prefix"),
                "must be 1 to 15 digits",
            );
        }
        let inc = it.billing_increment.value().copied().unwrap_or(60);
        let min = it.billing_minimum.value().copied().unwrap_or(60);
        p.check(inc >= 0, &at("billing_increment"), "must not be negative");
        p.check(min >= 0, &at("billing_minimum"), "must not be negative");
        let tiered = !tiers.is_empty();
        rows.push(json!({"rates_plan_sid": sid, "prefix": it.prefix.value(), "country_code": it.country_code.value().map(|c| c.to_ascii_uppercase()),
                         "price": price.map(|d| d.to_string()), "billing_increment": inc, "billing_minimum": min,
                         "classification_sid": classification,
                         "tier_quantities": tiered.then_some(quantities),
                         "tier_prices": tiered.then(|| tier_prices.iter().map(Decimal::to_string).collect::<Vec<_>>())}));
    }
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    sqlx::query("INSERT INTO rate_plans (rates_plan_sid, name, effective_date) VALUES ($1, $2, $3)")
        .bind(sid)
        .bind(input.name.value())
        .bind(effective)
        .execute(&mut *tx)
        .await?;
    if !rows.is_empty() {
        sqlx::query(
            "INSERT INTO rate_plan_items (rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum,
                                          classification_sid, tier_quantities, tier_prices)
             SELECT rates_plan_sid, prefix, country_code, price, billing_increment, billing_minimum,
                    classification_sid, tier_quantities, tier_prices
               FROM jsonb_populate_recordset(NULL::rate_plan_items, $1)",
        )
        .bind(Value::Array(rows))
        .execute(&mut *tx)
        .await?;
    }
    let saved: PlanListRow =
        sqlx::query_as(&format!("SELECT {PLAN_COLUMNS} FROM rate_plans r WHERE r.rates_plan_sid = $1"))
            .bind(sid)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    Ok(Json(saved.to_wire()).into_response())
}

/// Checks an item's tiers: at most [`MAX_TIERS`], quantities rising from 0, prices not negative.
fn check_tiers(tiers: &[TierInput], at: &str, p: &mut Problems) -> (Vec<i32>, Vec<Decimal>) {
    p.check(tiers.len() <= MAX_TIERS, at, &format!("has at most {MAX_TIERS} tiers"));
    let (mut quantities, mut prices) = (Vec::new(), Vec::new());
    for (j, t) in tiers.iter().enumerate() {
        let q = t.quantity.value().copied();
        let pr = t.price.value().map(|m| m.0);
        match q {
            None => p.add(format!("{at}[{j}].quantity"), "field is required"),
            Some(q) if j == 0 => p.check(q == 0, &format!("{at}[0].quantity"), "the first tier starts at 0"),
            Some(q) => p.check(
                quantities.last().is_some_and(|prev| q > *prev),
                &format!("{at}[{j}].quantity"),
                "must be greater than the tier before",
            ),
        }
        match pr {
            None => p.add(format!("{at}[{j}].price"), "field is required"),
            Some(pr) => p.check(pr >= Decimal::ZERO, &format!("{at}[{j}].price"), "must not be negative"),
        }
        quantities.push(q.unwrap_or_default());
        prices.push(pr.unwrap_or_default());
    }
    (quantities, prices)
}

pub async fn list_plans(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &PLANS)?;
    let page: Page<PlanListRow> =
        listing::fetch(&state.pool, &PLANS, &q, PLAN_COLUMNS, "rate_plans r", &|_| {}).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "rates_plan_sid")
}

pub async fn get_plan(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: crate::http::extract::QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "rates plan")?;
    let row: Option<PlanListRow> =
        sqlx::query_as(&format!("SELECT {PLAN_COLUMNS} FROM rate_plans r WHERE r.rates_plan_sid = $1"))
            .bind(sid)
            .fetch_optional(&state.pool)
            .await?;
    respond::object(&row.ok_or_else(|| ApiError::not_found("rates plan"))?.to_wire(), &query)
}

pub async fn delete_plan(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "rates plan")?;
    let done = sqlx::query("DELETE FROM rate_plans WHERE rates_plan_sid = $1").bind(sid).execute(&state.pool).await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::not_found("rates plan"));
    }
    Ok(respond::no_content())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub direction: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub sub_type: Maybe<String>,
}

/// The answer of an assignment: which plan rates whose calls (`partner_sid` null: every
/// partner's without their own) of a direction and type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanAssignment {
    pub direction: String,
    pub partner_sid: Option<Uuid>,
    pub rates_plan_sid: Uuid,
    pub sub_type: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// `POST /admin/calls/rates_plans/{sid}/assignments`: the plan rates a partner's calls (or every
/// partner's without their own, with `partner_sid` null) of a direction and type.
pub async fn assign_plan(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    Body { input, problems: mut p, .. }: Body<AssignmentInput>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "rates plan")?;
    p.required("type", &input.kind);
    // DID rental plans have no direction ('any'); call plans are inbound or outbound.
    let is_did = input.kind.value().is_some_and(|k| k == "did");
    let direction = if is_did { "any".to_owned() } else { input.direction.value().cloned().unwrap_or_default() };
    if is_did {
        p.check(input.direction.value().is_none_or(|d| d == "any"), "direction", "a did plan has no direction");
    } else {
        p.required("direction", &input.direction);
        if input.direction.value().is_some() {
            p.check(direction == "inbound" || direction == "outbound", "direction", "must be inbound or outbound");
        }
    }
    let kind = match (input.kind.value().map(String::as_str), input.sub_type.value()) {
        (Some("pstn"), _) => "pstn".to_owned(),
        (Some("did"), _) => "did".to_owned(),
        (Some("voip"), Some(s)) if VOIP_SUB_TYPES.contains(&s.as_str()) => format!("voip:{s}"),
        (Some("voip"), _) => {
            p.add("sub_type", format!("must be one of {}", VOIP_SUB_TYPES.join(", ")));
            String::new()
        }
        (Some(_), _) => {
            p.add("type", "must be pstn, voip or did");
            String::new()
        }
        (None, _) => String::new(),
    };
    let partner = match input.partner_sid.value() {
        None => None,
        Some(s) => match Uuid::parse_str(s) {
            Ok(u) => Some(u),
            Err(_) => {
                p.add("partner_sid", "must be a secure ID");
                None
            }
        },
    };
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM rate_plans WHERE rates_plan_sid = $1)")
        .bind(sid)
        .fetch_one(&mut *tx)
        .await?;
    if !exists {
        return Err(ApiError::not_found("rates plan"));
    }
    if let Some(pt) = partner {
        let ok: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partners WHERE partner_sid = $1 AND status <> 'deleted')")
                .bind(pt)
                .fetch_one(&mut *tx)
                .await?;
        if !ok {
            return Err(ApiError::Validation(vec![FieldError::new("partner_sid", "cannot find partner")]));
        }
    }
    sqlx::query(
        "INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid) VALUES ($1, $2, $3, $4)
         ON CONFLICT (COALESCE(partner_sid, '00000000-0000-0000-0000-000000000000'::uuid), direction, kind)
         DO UPDATE SET rates_plan_sid = EXCLUDED.rates_plan_sid",
    )
    .bind(partner)
    .bind(&direction)
    .bind(&kind)
    .bind(sid)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let (t, sub) = match kind.split_once(':') {
        Some((t, s)) => (t.to_owned(), Some(s.to_owned())),
        None => (kind.clone(), None),
    };
    Ok(Json(PlanAssignment { direction, partner_sid: partner, rates_plan_sid: sid, sub_type: sub, kind: t })
        .into_response())
}
