//! The rates a partner reads (`GET /calls/rates/{inbound|outbound}/pstn`, `.../voip/{sub_type}`,
//! each with its `/csv` download, and the DID rental rates) and the admin rate plans.

use axum::extract::{OriginalUri, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::repo::{self, NewItem, PlanRow};
use super::types::{
    AssignmentInput, PlanAssignment, PlanInput, PlanRef, RateEnvelope, TierInput, MAX_TIERS, MESSAGE_SUB_TYPES,
    RATED_VOIP_SUB_TYPES, VOIP_SUB_TYPES,
};
use crate::db::listing::MAX_LIMIT;
use crate::domain::time::parse_instant;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, Body, PathParams, QueryParams};
use crate::http::input::Problems;
use crate::http::listing::{self, ListQuery, Page, Projection, RequestUrl};
use crate::http::respond;
use crate::resources::partners;
use crate::state::AppState;

async fn plan(state: &AppState, caller: &Caller, direction: &str, kind: &str) -> ApiResult<PlanRow> {
    repo::plan_for(&state.pool, caller.partner_sid(), direction, kind)
        .await?
        .ok_or_else(|| ApiError::not_found("rates plan"))
}

fn is_csv(uri: &OriginalUri) -> bool {
    uri.0.path().ends_with("/csv")
}

fn direction_of(uri: &OriginalUri) -> &'static str {
    if uri.0.path().contains("/outbound/") {
        "outbound"
    } else {
        "inbound"
    }
}

/// A page of wire objects as JSON values, field filtering applied.
fn project<R, W: Serialize>(page: Page<R>, to_wire: fn(&R) -> W, url: &RequestUrl) -> ApiResult<Page<Value>> {
    let projection = Projection::from_query(&url.query);
    let mut items = Vec::with_capacity(page.items.len());
    for row in &page.items {
        let mut v = serde_json::to_value(to_wire(row)).map_err(ApiError::internal)?;
        projection.apply(&mut v);
        items.push(v);
    }
    Ok(Page { items, has_more: page.has_more, total: page.total })
}

async fn rates(
    state: AppState,
    caller: Caller,
    url: RequestUrl,
    direction: &str,
    kind: &str,
    csv: bool,
) -> ApiResult<Response> {
    let mut q = ListQuery::parse(&url.query, &repo::ITEMS)?;
    let plan = plan(&state, &caller, direction, kind).await?;
    if csv {
        q.limit = MAX_LIMIT * 1000;
        q.offset = 0;
    }
    let page = project(repo::call_items(&state.pool, plan.rates_plan_sid, &q).await?, repo::ItemRow::to_wire, &url)?;
    if csv {
        return Ok(csv_response(&format!("{direction}_{}_rates.csv", kind.replace(':', "_")), &page.items));
    }
    Ok(envelope(&plan, &caller, &q, page, Value::Null))
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
        rates_plan: PlanRef { name: plan.name.clone(), rates_plan_sid: plan.rates_plan_sid },
        total: page.total,
    };
    Json(env).into_response()
}

/// `GET /phonenumber/rates` (alias `/dids/rates`): the DID rental rates of the caller's plan.
pub async fn did_rates(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::DID_ITEMS)?;
    let plan = plan(&state, &caller, "any", "did").await?;
    let page = project(repo::did_items(&state.pool, plan.rates_plan_sid, &q).await?, repo::DidItemRow::to_wire, &url)?;
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
fn csv_response(filename: &str, items: &[Value]) -> Response {
    let columns: Vec<String> = match items.first() {
        Some(Value::Object(m)) => m.keys().cloned().collect(),
        _ => repo::ITEMS.fields.iter().map(|f| f.name.to_owned()).collect(),
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

/// `GET /calls/rates/{direction}/pstn` and its `/csv` download.
pub async fn pstn_rates(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    url: RequestUrl,
) -> ApiResult<Response> {
    rates(state, caller, url, direction_of(&uri), "pstn", is_csv(&uri)).await
}

/// `GET /calls/rates/{direction}/voip/{sub_type}` and its `/csv` download.
pub async fn voip_rates(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    PathParams(sub_type): PathParams<String>,
    url: RequestUrl,
) -> ApiResult<Response> {
    if !VOIP_SUB_TYPES.contains(&sub_type.as_str()) {
        return Err(ApiError::NotFound(format!("cannot find sub_type {sub_type}")));
    }
    rates(state, caller, url, direction_of(&uri), &format!("voip:{sub_type}"), is_csv(&uri)).await
}

// ---- admin: rate plans ----

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
        rows.push(NewItem {
            prefix: it.prefix.value().cloned(),
            country_code: it.country_code.value().map(|c| c.to_ascii_uppercase()),
            price,
            billing_increment: inc,
            billing_minimum: min,
            classification_sid: classification,
            tier_quantities: tiered.then_some(quantities),
            tier_prices: tiered.then_some(tier_prices),
        });
    }
    p.finish()?;
    let name = input.name.value().cloned().unwrap_or_default();
    let mut tx = state.pool.begin().await?;
    let saved = repo::insert_plan(&mut tx, Uuid::new_v4(), &name, effective, &rows).await?;
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
    let q = ListQuery::parse(&url.query, &repo::PLANS)?;
    let page = repo::list_plans(&state.pool, &q).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "rates_plan_sid")
}

pub async fn get_plan(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "rates plan")?;
    let row = crate::resources::shared::cached(&state, sid, |sid| repo::get_plan(&state.pool, sid))
        .await?
        .ok_or_else(|| ApiError::not_found("rates plan"))?;
    crate::resources::shared::respond_cached(&row, &query, repo::PlanListRow::to_wire)
}

pub async fn delete_plan(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "rates plan")?;
    if !repo::delete_plan(&state.pool, sid).await? {
        return Err(ApiError::not_found("rates plan"));
    }
    Ok(respond::no_content())
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
        (Some("voip"), Some(s)) if RATED_VOIP_SUB_TYPES.contains(&s.as_str()) => format!("voip:{s}"),
        (Some("voip"), _) => {
            p.add("sub_type", format!("must be one of {}", RATED_VOIP_SUB_TYPES.join(", ")));
            String::new()
        }
        (Some(t @ ("sms" | "mms")), Some(s)) if MESSAGE_SUB_TYPES.contains(&s.as_str()) => format!("{t}:{s}"),
        (Some("sms" | "mms"), _) => {
            p.add("sub_type", format!("must be one of {}", MESSAGE_SUB_TYPES.join(", ")));
            String::new()
        }
        (Some(_), _) => {
            p.add("type", "must be pstn, voip, sms, mms or did");
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
    if !repo::lock_plan(&mut tx, sid).await? {
        return Err(ApiError::not_found("rates plan"));
    }
    if let Some(pt) = partner {
        if partners::ops::find(&state, pt).await?.is_none() {
            return Err(ApiError::invalid("partner_sid", "cannot find partner"));
        }
    }
    repo::assign(&mut tx, partner, &direction, &kind, sid).await?;
    tx.commit().await?;
    let (t, sub) = match kind.split_once(':') {
        Some((t, s)) => (t.to_owned(), Some(s.to_owned())),
        None => (kind.clone(), None),
    };
    Ok(Json(PlanAssignment { direction, partner_sid: partner, rates_plan_sid: sid, sub_type: sub, kind: t })
        .into_response())
}
