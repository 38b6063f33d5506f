use std::collections::HashSet;

use axum::extract::State;
use axum::response::Response;
use chrono::SubsecRound;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::repo::{self, ConferenceRow};
use super::types::{ConferenceCallInput, CALL_TYPES, DIRECTIONS, ROLES};
use crate::domain::scopes::Scope;
use crate::domain::time::parse_instant;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::{cached, respond_cached};
use crate::state::AppState;

pub const MAX_BATCH: usize = 10_000;

/// Whether the caller reads its descendants' records too.
fn reads_descendants(caller: &Caller) -> bool {
    caller.admin || caller.scopes().contains(Scope::AppReadDescendant)
}

pub async fn list_calls(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), reads_descendants(&caller), &q).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "call_sid")
}

pub async fn get_call(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "conference call record")?;
    let visible =
        |owner: Uuid, path: &str| owner == caller.partner_sid() || (reads_descendants(&caller) && caller.sees(path));
    match cached(&state, sid, |s| repo::get(&state.pool, s)).await? {
        Some(r) if visible(r.0.partner_sid, &r.1) => respond_cached(&r, &query, |(row, _)| row.to_wire()),
        _ => Err(ApiError::NotFound("cannot find item by SID".into())),
    }
}

fn ts(v: &Maybe<String>, field: &str, p: &mut Problems) -> Option<chrono::DateTime<chrono::Utc>> {
    v.value().and_then(|s| {
        let t = parse_instant(s).map(|t| t.trunc_subsecs(3));
        if t.is_none() {
            p.add(field, "must be a date and time");
        }
        t
    })
}

fn one_of(v: &Maybe<String>, field: &str, allowed: &[&str], p: &mut Problems) {
    if let Some(s) = v.value() {
        p.check(allowed.contains(&s.as_str()), field, &format!("must be one of {}", allowed.join(", ")));
    }
}

/// `POST /admin/app/conference/calls`: one record or an array of up to 10,000, all or none.
pub async fn ingest_calls(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut errors = Problems::new();
    let batch: Batch<ConferenceCallInput> = Batch::parse(body.0, MAX_BATCH, "a conference call record", &mut errors)?;
    let now = chrono::Utc::now().trunc_subsecs(3);
    let mut rows: Vec<ConferenceRow> = Vec::new();
    for (i, input) in &batch.items {
        let mut p = Problems::new();
        p.required("partner_sid", &input.partner_sid);
        p.required("date_stop", &input.date_stop);
        let uuid = |v: &Maybe<String>, name: &str, p: &mut Problems| {
            v.value().and_then(|s| Uuid::parse_str(s).map_err(|_| p.add(name, "must be a secure ID")).ok())
        };
        let partner = uuid(&input.partner_sid, "partner_sid", &mut p);
        let call_sid = uuid(&input.call_sid, "call_sid", &mut p).unwrap_or_else(Uuid::new_v4);
        let endpoint_sid = uuid(&input.endpoint_sid, "endpoint_sid", &mut p);
        let meeting_room_sid = uuid(&input.meeting_room_sid, "meeting_room_sid", &mut p);
        let meeting_sid = uuid(&input.meeting_sid, "meeting_sid", &mut p);
        let stop = ts(&input.date_stop, "date_stop", &mut p);
        let start = ts(&input.date_start, "date_start", &mut p);
        let join = ts(&input.date_join, "date_join", &mut p);
        let disconnected = ts(&input.date_disconnected, "date_disconnected", &mut p);
        let inserted = ts(&input.date_insert, "date_insert", &mut p).unwrap_or(now);
        if let (Some(a), Some(b)) = (start, stop) {
            p.check(a <= b, "date_start", "must not be after date_stop");
        }
        one_of(&input.direction, "direction", DIRECTIONS, &mut p);
        one_of(&input.custom_call_type, "custom_call_type", CALL_TYPES, &mut p);
        one_of(&input.role, "role", ROLES, &mut p);
        let duration = input.duration.value().map(|m| m.0).or_else(|| {
            let (a, b) = (start?, stop?);
            Some(Decimal::new((b - a).num_milliseconds(), 3).normalize())
        });
        let limit = Decimal::from(1_000_000_000u32);
        for (name, v) in [("duration", duration), ("duration_meeting", input.duration_meeting.value().map(|m| m.0))] {
            if let Some(d) = v {
                p.check(d >= Decimal::ZERO && d <= limit, name, "must be between 0 and 1000000000 seconds");
            }
        }
        if batch.item_problems(*i, p, &mut errors) {
            continue;
        }
        let (Some(partner_sid), Some(date_stop)) = (partner, stop) else { continue };
        let text = |v: &Maybe<String>| v.value().cloned();
        rows.push(ConferenceRow {
            call_sid,
            partner_sid,
            date_stop,
            date_start: start,
            date_join: join,
            date_disconnected: disconnected,
            date_insert: inserted,
            address_dst: text(&input.address_dst),
            address_src: text(&input.address_src),
            audio_key: text(&input.audio_key),
            bridge: text(&input.bridge),
            custom_call_type: text(&input.custom_call_type),
            custom_name: text(&input.custom_name),
            direction: text(&input.direction),
            disconnect_cause: input.disconnect_cause.value().copied(),
            disconnect_originator: text(&input.disconnect_originator),
            disconnect_reason: text(&input.disconnect_reason),
            duration,
            duration_meeting: input.duration_meeting.value().map(|m| m.0),
            endpoint_sid,
            meeting_room_sid,
            meeting_sid,
            node: text(&input.node),
            number_dst: text(&input.number_dst),
            number_src: text(&input.number_src),
            role: text(&input.role),
            user_agent: text(&input.user_agent),
        });
    }
    errors.finish()?;
    let wanted: Vec<Uuid> = rows.iter().map(|r| r.partner_sid).collect::<HashSet<_>>().into_iter().collect();
    let known = partners::repo::existing(&state.pool, &wanted).await?;
    let missing: Vec<FieldError> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !known.contains(&r.partner_sid))
        .map(|(i, _)| FieldError::new(batch.at(i, "partner_sid"), "cannot find partner"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    let sids: Vec<Uuid> = rows.iter().map(|r| r.call_sid).collect();
    // The key finds a record already there as the rows go in (no lookup of every record first).
    let mut tx = state.pool.begin().await?;
    if let Err(e) = repo::insert(&mut tx, &rows).await {
        drop(tx);
        return Err(ApiError::refused_batch(e, repo::CALL_KEY, "call_sid", || repo::existing(&state.pool, &sids)).await);
    }
    let saved = repo::get_many(&mut tx, &sids).await?;
    tx.commit().await?;
    Ok(batch.answer(saved.iter().map(|r| r.to_wire())))
}
