use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::State;
use axum::response::Response;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::repo;
use super::types::{CallDr, CallDrInput, DIRECTIONS, SID_FIELDS, TEXT_FIELDS, TYPES};
use crate::domain::phone;
use crate::domain::rating::{self, RateItem};
use crate::domain::time::{parse_instant, Timestamp};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::resources::countries;
use crate::resources::invoices::accrual::{self, Charge};
use crate::state::AppState;

pub const MAX_BATCH: usize = 10_000;

pub async fn list_call_drs(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, &caller, &q).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "dr_sid")
}

pub async fn get_call_dr(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "call detail record")?;
    let visible = |owner: Uuid, path: &str| {
        owner == caller.partner_sid() || (repo::reads_descendants(&caller) && caller.sees(path))
    };
    match repo::get(&state.pool, sid).await? {
        Some((row, path)) if visible(row.partner_sid, &path) => respond::object(&row.to_wire(), &query),
        _ => Err(ApiError::NotFound("cannot find item by SID".into())),
    }
}

/// An ingested record before rating: its JSON, whose it is, how it is rated and billed.
struct Record {
    rec: Map<String, Value>,
    partner: Uuid,
    direction: Option<String>,
    kind: Option<&'static str>,
    duration: Option<Decimal>,
    /// The number rated (the far end).
    external: String,
    /// The number dialed (toll-free or not).
    dialed: String,
}

/// The kind of rate plan a record is rated with.
fn rate_kind(kind: Option<&str>) -> Option<&'static str> {
    match kind {
        None | Some("telecom") => Some("pstn"),
        Some("conference_call") | Some("conference_meeting") => Some("voip:conference"),
        Some("mediator") => Some("voip:mediator"),
        _ => None,
    }
}

fn ts(v: &Maybe<String>, field: &str, p: &mut Problems) -> Option<chrono::DateTime<chrono::Utc>> {
    v.value().and_then(|s| {
        let t = parse_instant(s);
        if t.is_none() {
            p.add(field, "must be a date and time");
        }
        t
    })
}

/// `POST /admin/calls/call_drs`: one record or an array of up to 10,000, all or none.
pub async fn ingest_call_drs(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut parse_problems = Problems::new();
    let batch: Batch<CallDrInput> = Batch::parse(body.0, MAX_BATCH, "a call detail record", &mut parse_problems)?;
    let prefix = |i: usize| batch.at(i, "");
    // One problems list: a field of the wrong type is not named again by the rules below.
    let mut errors = parse_problems;
    let mut records: Vec<Record> = Vec::new();
    let now = chrono::Utc::now();
    for (i, input, map) in &batch.items {
        let pre = prefix(*i);
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
        let mut rec = Map::new();
        for f in SID_FIELDS {
            if let Some(Value::String(s)) = map.get(*f) {
                if Uuid::parse_str(s).is_err() {
                    p.add(*f, "must be a secure ID");
                }
            }
        }
        for (k, v) in map {
            if TEXT_FIELDS.contains(&k.as_str()) || SID_FIELDS.contains(&k.as_str()) {
                rec.insert(k.clone(), v.clone());
            }
        }
        if let Some(v) = input.stir_identity.value() {
            rec.insert(
                "stir_identity".into(),
                Value::String(match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                }),
            );
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
        if !p.is_empty() {
            for mut e in p.0 {
                e.field = Some(format!("{pre}{}", e.field.unwrap_or_default()));
                errors.push(e);
            }
            continue;
        }
        let (Some(stop), Some(partner)) = (stop, partner) else { continue };
        rec.insert("dr_sid".into(), json!(dr_sid));
        rec.insert("partner_sid".into(), json!(partner));
        rec.insert("date_stop".into(), json!(Timestamp(stop)));
        rec.insert("date_start".into(), json!(start.map(Timestamp)));
        rec.insert("date_talk".into(), json!(talk.map(Timestamp)));
        rec.insert("date_insert".into(), json!(Timestamp(inserted)));
        rec.insert("direction".into(), json!(input.direction.value()));
        rec.insert("type".into(), json!(input.kind.value()));
        rec.insert("version".into(), json!(input.version.value()));
        rec.insert("duration".into(), json!(duration.map(|d| d.to_string())));
        rec.insert("duration_billing".into(), json!(input.duration_billing.value().map(|m| m.0.to_string())));
        rec.insert("rate".into(), json!(input.rate.value().map(|m| m.0.to_string())));
        rec.insert("price".into(), json!(input.price.value().map(|m| m.0.to_string())));
        rec.insert(
            "user_data".into(),
            input.user_data.value().map(|m| Value::Object(m.clone())).unwrap_or(Value::Null),
        );
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
        records.push(Record { rec, partner, direction, kind, duration, external, dialed });
    }
    errors.finish()?;
    // Every partner must exist.
    let partners: Vec<Uuid> = records.iter().map(|r| r.partner).collect::<HashSet<_>>().into_iter().collect();
    let known: Vec<Uuid> =
        sqlx::query_scalar("SELECT partner_sid FROM partners WHERE partner_sid = ANY($1) AND status <> 'deleted'")
            .bind(&partners)
            .fetch_all(&state.pool)
            .await?;
    let missing: Vec<FieldError> = records
        .iter()
        .enumerate()
        .filter(|(_, r)| !known.contains(&r.partner))
        .map(|(i, _)| FieldError::new(format!("{}partner_sid", prefix(i)), "cannot find partner"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    // Rating: the partner's plan for the record's direction and kind, loaded once per batch.
    let mut plans: HashMap<(Uuid, String, &'static str), Option<Vec<RateItem>>> = HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    // What the rated records charge, per partner; a number's country and toll-free class are
    // read once per exchange (country code and the next digits: seven in all).
    let alpha3: HashMap<String, String> = countries::repo::codes(&state.pool).await?.into_iter().collect();
    let mut classes: HashMap<String, (Option<String>, bool)> = HashMap::new();
    let mut charges: BTreeMap<Uuid, Vec<Charge>> = BTreeMap::new();
    for Record { mut rec, partner, direction, kind, duration, external, dialed } in records {
        let unrated = rec["rate"].is_null() || rec["price"].is_null() || rec["duration_billing"].is_null();
        if let (true, Some(dir), Some(kind), Some(duration)) = (unrated, direction.clone(), kind, duration) {
            let key = (partner, dir.clone(), kind);
            if !plans.contains_key(&key) {
                let items = match repo::plan_for(&state.pool, partner, &dir, kind).await? {
                    Some(plan) => Some(repo::plan_items(&state.pool, plan.rates_plan_sid).await?),
                    None => None,
                };
                plans.insert(key.clone(), items);
            }
            if let Some(item) = plans[&key].as_ref().and_then(|items| rating::best(items, &external)) {
                let (billed, price) = rating::bill(duration, item);
                for (k, v) in [("rate", item.price.normalize()), ("price", price), ("duration_billing", billed)] {
                    if rec[k].is_null() {
                        rec.insert(k.into(), json!(v.to_string()));
                    }
                }
            }
        }
        if let Some(price) = rec["price"].as_str().and_then(|p| p.parse::<Decimal>().ok()) {
            let seconds = rec["duration_billing"]
                .as_str()
                .and_then(|d| d.parse::<Decimal>().ok())
                .and_then(|d| d.ceil().to_i64())
                .unwrap_or(0);
            // The country of the number rated; toll-free when the number dialed is.
            let mut class =
                |n: &str| classes.entry(n.chars().take(7).collect()).or_insert_with(|| phone::billing_class(n)).clone();
            let (region, _) = class(&external);
            let (_, toll_free) = class(&dialed);
            charges.entry(partner).or_default().push(Charge {
                kind: if toll_free { "toll_free" } else { "toll" },
                direction: direction.clone(),
                country_code: region.and_then(|r| alpha3.get(&r).cloned()),
                usage: seconds,
                amount: price,
            });
        }
        rows.push(Value::Object(rec));
    }
    let sids: Vec<Uuid> =
        rows.iter().filter_map(|r| r["dr_sid"].as_str().and_then(|s| Uuid::parse_str(s).ok())).collect();
    let mut tx = state.pool.begin().await?;
    let taken: Vec<Uuid> = sqlx::query_scalar("SELECT dr_sid FROM call_drs WHERE dr_sid = ANY($1)")
        .bind(&sids)
        .fetch_all(&mut *tx)
        .await?;
    if !taken.is_empty() {
        return Err(ApiError::Conflict(
            taken
                .iter()
                .map(|s| FieldError::new("dr_sid", "this record exists already").with_reference(s.to_string()))
                .collect(),
        ));
    }
    repo::insert_batch(&mut tx, &rows).await?;
    // Partners in a fixed order: concurrent ingestions never wait on each other in a cycle.
    for (partner, list) in &charges {
        accrual::charge(&mut tx, *partner, list).await?;
    }
    let saved = repo::get_many(&mut tx, &sids).await?;
    tx.commit().await?;
    for partner in charges.keys() {
        state.partner_changed(*partner);
    }
    Ok(batch.answer(saved.iter().map(|r| r.to_wire()).collect::<Vec<CallDr>>()))
}
