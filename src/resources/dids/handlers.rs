use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::ops;
use super::repo::{self, NewNumber};
use super::types::{DidInput, InventoryInput};
use crate::domain::{geo, phone};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, Body, JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Maybe, Problems};
use crate::http::listing::{ListQuery, ListSpec, Page, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::shared::{cached, find_cached, find_visible, respond_cached, respond_found};
use crate::resources::{countries, partners};
use crate::state::AppState;

pub const MAX_BATCH: usize = 10_000;

pub async fn list_available(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::AVAILABLE)?;
    let page = repo::list_available(&state.pool, &q).await?;
    respond::list(page.map(|r| r.into_wire(false)), &q, &url, "did_sid")
}

pub async fn get_available(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "did")?;
    match cached(&state, sid, |s| repo::get(&state.pool, s, false)).await? {
        Some(r) if r.status == "available" => respond_cached(&r, &query, |r| r.to_wire(false)),
        _ => Err(ApiError::not_found("did")),
    }
}

const COVERAGE: ListSpec = ListSpec {
    fields: repo::COVERAGE_FIELDS,
    sid: "key",
    default_order: "key",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// `GET /phonenumber/coverage?group_by=state`: how many numbers the inventory has, by key.
pub async fn coverage(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let group_by = url
        .query
        .get("group_by")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_param("group_by", "is required"))?;
    let Some((_, key_sql)) = repo::GROUP_BY.iter().find(|(k, _)| *k == group_by) else {
        let all: Vec<&str> = repo::GROUP_BY.iter().map(|g| g.0).collect();
        return Err(ApiError::bad_param("group_by", format!("must be one of {}", all.join(", "))));
    };
    // order: key (default) or count, asc or desc.
    let mut query = url.query.clone();
    let order = query.get("order").map(str::to_owned);
    query.0.retain(|(k, _)| k != "order");
    let q = ListQuery::parse(&query, &COVERAGE)?;
    let by_count = match order.as_deref().map(str::trim) {
        None | Some("") | Some("key") | Some("key asc") => None,
        Some("count") | Some("count asc") => Some(false),
        Some("count desc") => Some(true),
        Some(_) => return Err(ApiError::bad_param("order", "must be key, count, count asc or count desc")),
    };
    let (items, total) = repo::coverage(&state.pool, key_sql, &q, by_count).await?;
    let has_more = q.offset + (items.len() as i64) < total;
    respond::list(Page { items, has_more, total: Some(total) }, &q, &url, "key")
}

/// A rented number the caller sees (any number through the admin routes), locked when read
/// inside a transaction.
const WHAT: &str = "did";

/// `POST /phonenumber/dids`: rents `phonenumber`, or the first available number (matching
/// `filter` if given).
pub async fn rent_did(
    State(state): State<AppState>,
    caller: Caller,
    url: RequestUrl,
    Body { input, problems: mut p, .. }: Body<DidInput>,
) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::AVAILABLE)?;
    let number = ops::wanted_number(&input, &mut p);
    let mut tx = state.pool.begin().await?;
    let checked = ops::check(&state.own, &mut tx, Some(caller.partner_sid()), &input, &mut p).await?;
    p.finish()?;
    let row = ops::rent(&mut tx, caller.partner_sid(), number.as_deref(), &q.filter, &input, checked).await?;
    tx.commit().await?;
    crate::resources::partners::ops::money_changed(&state, caller.partner_sid());
    Ok(Json(row.into_wire(caller.admin)).into_response())
}

pub async fn list_dids(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::RENTED)?;
    let tg = match url.query.get("trunk_group_sid").filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(Uuid::parse_str(s).map_err(|_| ApiError::bad_param("trunk_group_sid", "must be a secure ID"))?),
    };
    let page = repo::list_rented(&state.pool, caller.tenancy(), tg, &q).await?.map(|r| r.into_wire(caller.admin));
    partners::ops::respond_page(&state, &caller, page, &q, &url, "did_sid").await
}

pub async fn get_did(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let row = find_cached(&state, &caller, &raw, WHAT, |s| repo::get(&state.pool, s, false)).await?;
    respond_found(&state, &caller, &row, &query, |r, admin| r.to_wire(admin)).await
}

pub async fn update_did(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<DidInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let row = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    let (input, p) = update.input(&row.to_wire(true), &ops::updatable(caller.admin))?;
    let saved = ops::update(&state.own, &mut tx, row, &input, caller.admin, p).await?;
    tx.commit().await?;
    Ok(Json(saved.into_wire(caller.admin)).into_response())
}

/// `DELETE /phonenumber/dids/{did_sid}`: releases the number; it ages before it can be rented again.
pub async fn release_did(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let row = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    ops::release(&mut tx, &row, state.config.did_aging_seconds).await?;
    tx.commit().await?;
    Ok(respond::no_content())
}

/// `POST /admin/dids`: adds numbers to the inventory (one object or an array), all or none.
pub async fn add_inventory(State(state): State<AppState>, caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut p = Problems::new();
    let mut batch: Batch<InventoryInput> = Batch::parse(body.0, MAX_BATCH, "a DID object", &mut p)?;
    // Each input is dropped once read (a batch's request is not kept to its answer).
    let parsed = std::mem::take(&mut batch.items);
    let at = |i: usize, f: &str| batch.at(i, f);
    // Countries by alpha-2 (from the numbers) and alpha-3 (given), in one query.
    let all = countries::repo::codes(&state.pool).await?;
    let by_alpha2: HashMap<&str, &str> = all.iter().map(|(a2, a3)| (a2.as_str(), a3.as_str())).collect();
    let alpha3s: HashSet<&str> = all.iter().map(|(_, a3)| a3.as_str()).collect();
    let mut numbers = Vec::with_capacity(parsed.len());
    let mut seen = HashSet::new();
    // Each number goes to the database as soon as it is checked, while the next are checked; the
    // first problem stops that, and the transaction is rolled back (all or none).
    let mut tx = state.pool.begin().await?;
    let mut writer = repo::InventoryWriter::start(&mut tx, parsed.len()).await?;
    // The position in the request of each number analyzed.
    let mut positions = Vec::with_capacity(parsed.len());
    for (i, v) in parsed {
        let i = &i;
        let capabilities = v.capabilities.value().copied().unwrap_or(7);
        p.check(
            (0..=31).contains(&capabilities),
            &at(*i, "capabilities"),
            "must be a sum of 1, 2, 4, 8 and 16 (0 to 31)",
        );
        let price = v.price.value().map(|m| m.0).unwrap_or(state.config.did_default_price);
        p.check(price >= rust_decimal::Decimal::ZERO, &at(*i, "price"), "must not be negative");
        let analyzed = match v.phonenumber.value() {
            None => {
                p.add(at(*i, "phonenumber"), "field is required");
                None
            }
            Some(raw) => {
                let a = phone::analyze_nanp_cached(raw);
                if a.is_none() {
                    p.add(at(*i, "phonenumber"), "must be a phone number in the E.164 format");
                }
                a
            }
        };
        let Some(a) = analyzed else { continue };
        let place = geo::nanp_place(&a.digits);
        if !seen.insert(a.digits.clone()) {
            p.add(at(*i, "phonenumber"), "appears twice in the request");
        }
        let country = match v.country_code.value() {
            Some(c) if alpha3s.contains(c.to_ascii_uppercase().as_str()) => Some(c.to_ascii_uppercase()),
            Some(_) => {
                p.add(at(*i, "country_code"), "must be an ISO 3166-1 alpha-3 country code");
                None
            }
            None => a.region.as_deref().and_then(|r| by_alpha2.get(r)).map(|s| (*s).to_owned()),
        };
        if let Some(s) = v.state.value() {
            p.check(
                s.len() <= 3 && s.chars().all(|c| c.is_ascii_alphanumeric()),
                &at(*i, "state"),
                "must be a state or province code",
            );
        }
        let uuid = |f: &str, m: &Maybe<String>, p: &mut Problems| {
            m.value().and_then(|s| Uuid::parse_str(s).map_err(|_| p.add(at(*i, f), "must be a secure ID")).ok())
        };
        positions.push(*i);
        let number = NewNumber {
            phonenumber: a.digits.clone(),
            capabilities: capabilities as i32,
            price,
            country_code: country,
            in_country_format: Some(a.national.clone()),
            international_format: Some(a.international.clone()),
            state: v.state.value().map(|s| s.to_ascii_uppercase()).or_else(|| place.as_ref().map(|p| p.state.clone())),
            locality: v.locality.value().cloned().or_else(|| place.as_ref().and_then(|p| p.locality.clone())),
            classification_sid: uuid("classification_sid", &v.classification_sid, &mut p),
            provider_sid: uuid("provider_sid", &v.provider_sid, &mut p),
            lrn_sid: uuid("lrn_sid", &v.lrn_sid, &mut p),
            ocn: v.ocn.value().cloned(),
        };
        if p.is_empty() {
            writer.add(&number).await?;
        }
        numbers.push(number);
    }
    if let Err(e) = p.finish() {
        writer.abort().await;
        return Err(e);
    }
    // The unique key finds a number already there as the rows go in (no lookup of every number
    // first); only a refused batch looks up which numbers were taken, to name each one.
    let keys = match writer.finish().await {
        Ok(keys) => keys,
        Err(e) => {
            drop(tx);
            let wanted: Vec<String> = numbers.iter().map(|n| n.phonenumber.clone()).collect();
            let position: HashMap<&str, usize> = wanted.iter().zip(&positions).map(|(n, i)| (n.as_str(), *i)).collect();
            return Err(ApiError::refused_by_key(e, repo::NUMBER_KEY, || async {
                Ok(repo::existing(&state.pool, &wanted)
                    .await?
                    .iter()
                    .map(|(n, sid)| {
                        FieldError::new(
                            at(position.get(n.as_str()).copied().unwrap_or(0), "phonenumber"),
                            format!("the phone number {n} already exists"),
                        )
                        .with_reference(sid.to_string())
                    })
                    .collect())
            })
            .await);
        }
    };
    let mut out = batch.writer(numbers.len());
    for row in keys.rows(&numbers) {
        out.push(&row.into_wire(caller.admin));
    }
    tx.commit().await?;
    out.finish()
}
