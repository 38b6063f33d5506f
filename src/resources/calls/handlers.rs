use std::collections::{BTreeMap, HashSet};

use axum::extract::State;
use axum::response::Response;
use chrono::SubsecRound;
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::ops::{rate_kind, Billing, Rater};
use super::repo::{self, CdrRow};
use super::types::{CallDrInput, SimulatedCallInput, DIRECTIONS, TYPES};
use crate::domain::money::Money;
use crate::domain::phone;
use crate::domain::time::parse_instant;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, Body, JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::resources::invoices::accrual::{self, Charge};
use crate::resources::partners;
use crate::resources::shared::{cached, respond_cached};
use crate::state::AppState;

pub const MAX_BATCH: usize = 10_000;

pub async fn list_call_drs(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), reads_descendants(&caller), &q).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "dr_sid")
}

/// Whether the caller reads its descendants' records too.
fn reads_descendants(caller: &Caller) -> bool {
    caller.admin || caller.scopes().contains(crate::domain::scopes::Scope::CallsReadDescendant)
}

pub async fn get_call_dr(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "call detail record")?;
    let visible =
        |owner: Uuid, path: &str| owner == caller.partner_sid() || (reads_descendants(&caller) && caller.sees(path));
    match cached(&state, sid, |s| repo::get(&state.pool, s)).await? {
        Some(r) if visible(r.0.partner_sid, &r.1) => respond_cached(&r, &query, |(row, _)| row.to_wire()),
        _ => Err(ApiError::NotFound("cannot find item by SID".into())),
    }
}

/// An ingested record before rating: the row to store, how it is rated and billed.
struct Record {
    row: CdrRow,
    billing: Billing,
}

fn ts(v: &Maybe<String>, field: &str, p: &mut Problems) -> Option<chrono::DateTime<chrono::Utc>> {
    v.value().and_then(|s| {
        // Records keep milliseconds, as they answer with.
        let t = parse_instant(s).map(|t| t.trunc_subsecs(3));
        if t.is_none() {
            p.add(field, "must be a date and time");
        }
        t
    })
}

/// `POST /admin/calls/call_drs`: one record or an array of up to 10,000, all or none.
pub async fn ingest_call_drs(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut parse_problems = Problems::new();
    let mut batch: Batch<CallDrInput> = Batch::parse(body.0, MAX_BATCH, "a call detail record", &mut parse_problems)?;
    // One problems list: a field of the wrong type is not named again by the rules below.
    let mut errors = parse_problems;
    let mut records: Vec<Record> = Vec::with_capacity(batch.items.len());
    let now = chrono::Utc::now().trunc_subsecs(3);
    // Each input is dropped once read (a batch's request is not kept to its answer).
    let items = std::mem::take(&mut batch.items);
    let prefix = |i: usize| batch.at(i, "");
    for (i, input) in items {
        let i = &i;
        let mut p = Problems::new();
        p.required("partner_sid", &input.partner_sid);
        p.required("date_stop", &input.date_stop);
        let partner = input
            .partner_sid
            .value()
            .and_then(|s| Uuid::parse_str(s).map_err(|_| p.add("partner_sid", "must be a secure ID")).ok());
        let stop = ts(&input.date_stop, "date_stop", &mut p);
        let start = ts(&input.date_start, "date_start", &mut p);
        let talk = ts(&input.date_talk, "date_talk", &mut p);
        let inserted = ts(&input.date_insert, "date_insert", &mut p).unwrap_or(now);
        if let (Some(a), Some(b)) = (start, stop) {
            p.check(a <= b, "date_start", "must not be after date_stop");
        }
        if let Some(d) = input.direction.value() {
            p.check(DIRECTIONS.contains(&d.as_str()), "direction", "must be any, inbound, outbound or undirected");
        }
        if let Some(t) = input.kind.value() {
            p.check(TYPES.contains(&t.as_str()), "type", &format!("must be one of {}", TYPES.join(", ")));
        }
        let dr_sid = match input.dr_sid.value() {
            Some(s) => Uuid::parse_str(s).map_err(|_| p.add("dr_sid", "must be a secure ID")).unwrap_or_default(),
            None => Uuid::new_v4(),
        };
        let sids = [
            ("endpoint_sid_dst", &input.endpoint_sid_dst),
            ("endpoint_sid_src", &input.endpoint_sid_src),
            ("trunk_group_sid_dst", &input.trunk_group_sid_dst),
            ("trunk_group_sid_src", &input.trunk_group_sid_src),
            ("trunk_sid_dst", &input.trunk_sid_dst),
            ("trunk_sid_src", &input.trunk_sid_src),
        ];
        for (name, v) in sids {
            if v.value().is_some_and(|s| Uuid::parse_str(s).is_err()) {
                p.add(name, "must be a secure ID");
            }
        }
        let duration = input.duration.value().map(|m| m.0).or_else(|| {
            let (a, b) = (start?, stop?);
            Some(Decimal::new((b - a).num_milliseconds(), 3).normalize())
        });
        if let Some(d) = duration {
            p.check(d >= Decimal::ZERO, "duration", "must not be negative");
        }
        // Amounts a call can carry (charges add up on invoices: they must stay exact).
        let limit = Decimal::from(1_000_000_000u32);
        for (name, v) in [("price", &input.price), ("rate", &input.rate), ("duration_billing", &input.duration_billing)]
        {
            if let Some(m) = v.value() {
                p.check(m.0 >= Decimal::ZERO && m.0 <= limit, name, "must be between 0 and 1000000000");
            }
        }
        if let Some(d) = duration {
            p.check(d <= limit, "duration", "must be at most 1000000000 seconds");
        }
        if batch.item_problems(*i, p, &mut errors) {
            continue;
        }
        let (Some(stop), Some(partner)) = (stop, partner) else { continue };
        let sid = |v: &Maybe<String>| v.value().and_then(|s| Uuid::parse_str(s).ok());
        let text = |v: &Maybe<String>| v.value().cloned();
        let money = |v: &Maybe<Money>| v.value().map(|m| m.0);
        let row = CdrRow {
            dr_sid,
            partner_sid: partner,
            date_stop: stop,
            date_start: start,
            date_talk: talk,
            date_insert: inserted,
            direction: text(&input.direction),
            kind: text(&input.kind),
            version: input.version.value().copied(),
            cic: text(&input.cic),
            cic_original: text(&input.cic_original),
            cic_transformed: text(&input.cic_transformed),
            disconnect_originator: text(&input.disconnect_originator),
            diversion_dst: text(&input.diversion_dst),
            diversion_src: text(&input.diversion_src),
            duration,
            duration_billing: money(&input.duration_billing),
            endpoint_sid_dst: sid(&input.endpoint_sid_dst),
            endpoint_sid_src: sid(&input.endpoint_sid_src),
            identity: text(&input.identity),
            ip_dst: text(&input.ip_dst),
            ip_src: text(&input.ip_src),
            number_billing: text(&input.number_billing),
            number_dst: text(&input.number_dst),
            number_dst_original: text(&input.number_dst_original),
            number_dst_transformed: text(&input.number_dst_transformed),
            number_external: text(&input.number_external),
            number_src: text(&input.number_src),
            number_src_original: text(&input.number_src_original),
            number_src_transformed: text(&input.number_src_transformed),
            price: money(&input.price),
            rate: money(&input.rate),
            sipcallid_dst: text(&input.sipcallid_dst),
            sipcallid_src: text(&input.sipcallid_src),
            sipcause: text(&input.sipcause),
            stir_attest: text(&input.stir_attest),
            stir_identity: input.stir_identity.value().map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }),
            stir_orig_id: text(&input.stir_orig_id),
            stir_signing_entity: text(&input.stir_signing_entity),
            stir_verstat: text(&input.stir_verstat),
            trunk_group_sid_dst: sid(&input.trunk_group_sid_dst),
            trunk_group_sid_src: sid(&input.trunk_group_sid_src),
            trunk_sid_dst: sid(&input.trunk_sid_dst),
            trunk_sid_src: sid(&input.trunk_sid_src),
            user_data: input.user_data.value().map(|m| Value::Object(m.clone())),
        };
        let direction = input.direction.value().filter(|d| *d == "inbound" || *d == "outbound").cloned();
        let external = input
            .number_external
            .value()
            .or(if direction.as_deref() == Some("outbound") {
                input.number_dst.value()
            } else {
                input.number_src.value()
            })
            .map(|n| phone::digits(n))
            .unwrap_or_default();
        let dialed = input.number_dst.value().map(|n| phone::digits(n)).unwrap_or_default();
        let kind = rate_kind(input.kind.value().map(String::as_str));
        records.push(Record { row, billing: Billing { direction, kind, external, dialed } });
    }
    errors.finish()?;
    // Every partner must exist.
    let partners: Vec<Uuid> = records.iter().map(|r| r.row.partner_sid).collect::<HashSet<_>>().into_iter().collect();
    let known = partners::repo::existing(&state.pool, &partners).await?;
    let missing: Vec<FieldError> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| !known.contains(&r.row.partner_sid))
        .map(|(i, _)| FieldError::new(format!("{}partner_sid", prefix(i)), "cannot find partner"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    // Rating: the partner's plan for the record's direction and kind, loaded once per batch.
    let mut rater = Rater::for_batch(&state).await?;
    let mut rows = Vec::with_capacity(records.len());
    let mut charges: BTreeMap<Uuid, Vec<Charge>> = BTreeMap::new();
    let mut conn = state.pool.acquire().await?;
    for Record { mut row, billing } in records {
        if let Some(charge) = rater.rate(&mut conn, &mut row, &billing).await? {
            charges.entry(row.partner_sid).or_default().push(charge);
        }
        rows.push(row);
    }
    drop(conn);
    // Times as PostgreSQL keeps them (to the microsecond): the answer is made from these rows.
    for r in &mut rows {
        r.date_stop = r.date_stop.trunc_subsecs(6);
        r.date_start = r.date_start.map(|t| t.trunc_subsecs(6));
        r.date_talk = r.date_talk.map(|t| t.trunc_subsecs(6));
        r.date_insert = r.date_insert.trunc_subsecs(6);
    }
    // The key finds a record already there as the rows go in (no lookup of every record first).
    let mut tx = state.pool.begin().await?;
    if let Err(e) = repo::insert_batch(&mut tx, &rows).await {
        drop(tx);
        let sids: Vec<Uuid> = rows.iter().map(|r| r.dr_sid).collect();
        return Err(ApiError::refused_batch(e, repo::RECORD_KEY, "dr_sid", || repo::existing(&state.pool, &sids)).await);
    }
    // Partners in a fixed order: concurrent ingestions never wait on each other in a cycle.
    for (partner, list) in &charges {
        accrual::charge(&mut tx, *partner, list).await?;
    }
    tx.commit().await?;
    for partner in charges.keys() {
        crate::resources::partners::ops::money_changed(&state, *partner);
    }
    // The rows as written (the COPY stored exactly these values), in the records' order.
    rows.sort_by_key(|r| (r.date_stop, r.dr_sid));
    Ok(batch.answer(rows.iter().map(|r| r.to_wire())))
}

/// `POST /admin/simulator/calls`: a call offered to the simulated network; answers its trace.
pub async fn simulate_call(
    State(state): State<AppState>,
    _caller: Caller,
    Body { input, problems, .. }: Body<SimulatedCallInput>,
) -> ApiResult<Response> {
    let trace = super::network::offer(&state, input, problems).await?;
    respond::object(&trace, &QueryParams::default())
}
