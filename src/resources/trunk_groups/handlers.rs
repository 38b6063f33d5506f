use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::repo::{self, GroupRow, TrunkRow};
use super::types::*;
use super::{TRUNK_CREATE, TRUNK_READ};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, Body, PathParams, QueryParams};
use crate::http::input::{parse_into, Maybe, Problems};
use crate::http::listing::{ListQuery, Page, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::access_control::ops::check_acl_rules;
use crate::resources::access_control::types as acl;
use crate::resources::shared::{cached, check_transformations, find_cached, find_visible, respond_cached};
use crate::resources::{endpoints, partners};
use crate::state::AppState;

fn int_in(field: &str, v: &Maybe<i64>, default: i32, min: i64, p: &mut Problems) -> i32 {
    match v.value() {
        None => default,
        Some(n) if *n >= min && *n <= i32::MAX as i64 => *n as i32,
        Some(_) => {
            p.add(field, format!("must be an integer of at least {min}"));
            default
        }
    }
}

fn one_of(field: &str, v: &Maybe<String>, default: &str, allowed: &[&str], p: &mut Problems) -> String {
    match v.value() {
        None => default.to_owned(),
        Some(s) if allowed.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            p.add(field, format!("must be one of {}", allowed.join(", ")));
            default.to_owned()
        }
    }
}

/// A mode word (`passthrough`, `cut_all`, ...): the reference does not list every value.
fn word(field: &str, v: &Maybe<String>, default: &str, p: &mut Problems) -> String {
    match v.value() {
        None => default.to_owned(),
        Some(s)
            if !s.is_empty()
                && s.len() <= 64
                && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') =>
        {
            s.clone()
        }
        Some(_) => {
            p.add(field, "must be a lower-case word (letters, digits, _)");
            default.to_owned()
        }
    }
}

fn sip_codes(field: &str, v: &Maybe<String>, p: &mut Problems) -> String {
    let s = v.value().cloned().unwrap_or_else(|| "408;".into());
    let ok = s
        .split(';')
        .filter(|c| !c.trim().is_empty())
        .all(|c| c.trim().parse::<u16>().is_ok_and(|n| (400..700).contains(&n)));
    p.check(ok, field, "must be SIP response codes (400 to 699) separated by ';', e.g. 408;503;");
    s
}

fn acls(field: &str, v: &Maybe<Vec<acl::Acl>>, p: &mut Problems) -> Value {
    let list = v.value().cloned().unwrap_or_default();
    // Trunk groups and trunks carry voice only.
    acl::validate(field, &list, true, p);
    serde_json::to_value(list).unwrap_or(Value::Array(Vec::new()))
}

/// A trunk group from a body (every attribute, its default when absent or null).
fn build_group(input: &TrunkGroupInput, sid: Uuid, partner_sid: Uuid, tree_path: String, p: &mut Problems) -> GroupRow {
    GroupRow {
        id: 0,
        trunk_group_sid: sid,
        partner_sid,
        name: input.name.value().cloned().unwrap_or_else(|| "N/A".into()),
        acls: acls("acls", &input.acls, p),
        external_handlers: Value::Array(
            input.external_handlers.value().cloned().unwrap_or_default().into_iter().map(Value::Object).collect(),
        ),
        hard_failure_codes: sip_codes("hard_failure_codes", &input.hard_failure_codes, p),
        hard_failure_cooldown: int_in("hard_failure_cooldown", &input.hard_failure_cooldown, 120, 0, p),
        hard_failure_interval: int_in("hard_failure_interval", &input.hard_failure_interval, 60, 0, p),
        hard_failure_last_resort: one_of(
            "hard_failure_last_resort",
            &input.hard_failure_last_resort,
            "first",
            LAST_RESORTS,
            p,
        ),
        hard_failure_threshold: int_in("hard_failure_threshold", &input.hard_failure_threshold, 3, 1, p),
        routing_data: input.routing_data.value().cloned(),
        routing_type: one_of("routing_type", &input.routing_type, "failover", ROUTING_TYPES, p),
        sip_options_locations: serde_json::to_value(input.sip_options_locations.value().cloned().unwrap_or_default())
            .unwrap_or_default(),
        sip_options_threshold: int_in("sip_options_threshold", &input.sip_options_threshold, 3, 1, p),
        soft_failure_codes: sip_codes("soft_failure_codes", &input.soft_failure_codes, p),
        transformations: check_transformations(&input.transformations, p),
        tree_path,
    }
}

/// A trunk from a body; its endpoint is checked by [`check_endpoint`].
fn build_trunk(input: &TrunkInput, sid: Uuid, group: Uuid, p: &mut Problems) -> TrunkRow {
    let uuid_or_null = |field: &str, v: &Maybe<String>, p: &mut Problems| -> Option<Uuid> {
        let s = v.value().filter(|s| !s.is_empty())?;
        Uuid::parse_str(s).map_err(|_| p.add(field, "must be a secure ID")).ok()
    };
    let headers = input.relay_sip_headers.value().cloned().unwrap_or_default();
    for (i, h) in headers.iter().enumerate() {
        let ok =
            !h.is_empty() && h.len() <= 100 && h.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        p.check(ok, &format!("relay_sip_headers[{i}]"), "must be a SIP header name");
    }
    TrunkRow {
        id: 0,
        trunk_sid: sid,
        trunk_group_sid: group,
        name: input.name.value().cloned().unwrap_or_else(|| "N/A".into()),
        acls: acls("acls", &input.acls, p),
        allow_forward: one_of("allow_forward", &input.allow_forward, "disabled", ALLOW_FORWARD, p),
        allow_transfer: input.allow_transfer.value().copied().unwrap_or(false),
        asn_mode: one_of("asn_mode", &input.asn_mode, "disable", ASN_MODES, p),
        call_type: word("call_type", &input.call_type, "regular", p),
        codec: input.codec.value().cloned().filter(|s| !s.is_empty()),
        endpoint_sid: uuid_or_null("endpoint_sid", &input.endpoint_sid, p),
        in_capacity: int_in("in_capacity", &input.in_capacity, 0, 0, p),
        in_identity_format: word("in_identity_format", &input.in_identity_format, "passthrough", p),
        in_identity_mode: word("in_identity_mode", &input.in_identity_mode, "passthrough", p),
        in_rfc_4694_mode: word("in_rfc_4694_mode", &input.in_rfc_4694_mode, "cut_all", p),
        location_sid: uuid_or_null("location_sid", &input.location_sid, p),
        out_capacity: int_in("out_capacity", &input.out_capacity, 0, 0, p),
        out_identity_mode: word("out_identity_mode", &input.out_identity_mode, "passthrough", p),
        out_rfc_4694_mode: word("out_rfc_4694_mode", &input.out_rfc_4694_mode, "cut_all", p),
        priority: int_in("priority", &input.priority, 0, 0, p),
        relay_sip_headers: serde_json::to_value(headers).unwrap_or_default(),
        transformations: check_transformations(&input.transformations, p),
        weight: int_in("weight", &input.weight, 0, 0, p),
    }
}

/// A trunk delivers to an endpoint of its trunk group's partner.
async fn check_endpoint(state: &AppState, t: &TrunkRow, owner: Uuid, field: &str, p: &mut Problems) -> ApiResult<()> {
    if let Some(e) = t.endpoint_sid {
        let found = endpoints::repo::get(&mut *state.pool.acquire().await?, e, false).await?;
        p.check(
            found.is_some_and(|e| e.partner_sid == owner),
            field,
            "must be an endpoint of the trunk group's partner",
        );
    }
    Ok(())
}

fn prefixed(prefix: &str, errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field = Some(format!("{prefix}{}", e.field.unwrap_or_default()));
            e
        })
        .collect()
}

const GROUP: &str = "trunk group";

/// The wire groups, with their trunks and partners when asked (one query each).
async fn expand(
    state: &AppState,
    caller: &Caller,
    rows: &[GroupRow],
    with_trunks: bool,
    related: bool,
) -> ApiResult<Vec<TrunkGroup>> {
    if with_trunks && !caller.scopes().grants_any(TRUNK_READ) {
        return Err(ApiError::Forbidden);
    }
    let sids: Vec<Uuid> = rows.iter().map(|g| g.trunk_group_sid).collect();
    let trunks = if with_trunks { repo::trunks_of(&state.pool, &sids).await? } else { Vec::new() };
    let items = rows
        .iter()
        .map(|g| {
            let mut w = g.to_wire();
            if with_trunks {
                w.trunks = Some(
                    trunks.iter().filter(|t| t.trunk_group_sid == g.trunk_group_sid).map(TrunkRow::to_wire).collect(),
                );
            }
            w
        })
        .collect();
    partners::ops::with_related(state, caller.admin, related, items).await
}

pub async fn create_trunk_group(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryParams,
    Body { input, problems: mut p, .. }: Body<TrunkGroupInput>,
) -> ApiResult<Response> {
    let with_trunks = query.bool("with_trunks")?.unwrap_or(false);
    let trunk_bodies = input.trunks.value().cloned().unwrap_or_default();
    if !trunk_bodies.is_empty() && !caller.scopes().grants_any(TRUNK_CREATE) {
        return Err(ApiError::Forbidden);
    }
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    let (owner_sid, tree) = owner.map(|o| (o.partner_sid, o.tree_path.clone())).unwrap_or_default();
    let group = build_group(&input, Uuid::new_v4(), owner_sid, tree.clone(), &mut p);
    check_acl_rules(&state, &tree, "acls", input.acls.value().map(Vec::as_slice).unwrap_or(&[]), &mut p).await?;
    let mut trunks = Vec::new();
    for (i, body) in trunk_bodies.iter().enumerate() {
        let prefix = format!("trunks[{i}].");
        let Value::Object(map) = body else {
            p.add(format!("trunks[{i}]"), "must be a trunk object");
            continue;
        };
        let mut map: Map<String, Value> = map.clone();
        // The reference's sample sends "endpoint_sid": "" for none.
        if map.get("endpoint_sid").is_some_and(|v| v == "") {
            map.insert("endpoint_sid".into(), Value::Null);
        }
        // A field of the wrong type is named and read as absent: the trunk's rules still run.
        let mut tp = Problems::new();
        match parse_into::<TrunkInput>(&map, &mut tp) {
            Err(ApiError::Validation(errors)) => p.0.extend(prefixed(&prefix, errors)),
            Err(e) => return Err(e),
            Ok(t) => {
                let row = build_trunk(&t, Uuid::new_v4(), group.trunk_group_sid, &mut tp);
                check_endpoint(&state, &row, owner_sid, "endpoint_sid", &mut tp).await?;
                check_acl_rules(&state, &tree, "acls", t.acls.value().map(Vec::as_slice).unwrap_or(&[]), &mut tp)
                    .await?;
                p.0.extend(prefixed(&prefix, tp.0));
                trunks.push(row);
            }
        }
    }
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::upsert_group(&mut tx, &group).await?;
    for t in &trunks {
        repo::upsert_trunk(&mut tx, t).await?;
    }
    let saved = repo::get_group(&mut *tx, group.trunk_group_sid, false)
        .await?
        .ok_or_else(|| ApiError::internal("a new trunk group vanished"))?;
    tx.commit().await?;
    let mut out = expand(&state, &caller, std::slice::from_ref(&saved), with_trunks, false).await?;
    Ok(Json(out.remove(0)).into_response())
}

pub async fn list_trunk_groups(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::GROUPS)?;
    let with_trunks = url.query.bool("with_trunks")?.unwrap_or(false);
    let related = url.query.with_related()?;
    let page = repo::list_groups(&state.pool, caller.tenancy(), &q).await?;
    let items = expand(&state, &caller, &page.items, with_trunks, related).await?;
    respond::list(Page { items, has_more: page.has_more, total: page.total }, &q, &url, "trunk_group_sid")
}

pub async fn get_trunk_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let g = find_cached(&state, &caller, &raw, GROUP, |s| repo::get_group(&state.pool, s, false)).await?;
    let with_trunks = query.bool("with_trunks")?.unwrap_or(false);
    let related = query.with_related()?;
    if !with_trunks && !related {
        // The group alone: its JSON made once per cached version.
        return respond_cached(&g, &query, GroupRow::to_wire);
    }
    let mut out = expand(&state, &caller, std::slice::from_ref(&g.row), with_trunks, related).await?;
    respond::object(&out.remove(0), &query)
}

pub async fn update_trunk_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<TrunkGroupInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current_row = find_visible(&caller, &raw, GROUP, |sid| repo::get_group(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&current_row.to_wire(), GROUP_UPDATABLE)?;
    let group = build_group(
        &input,
        current_row.trunk_group_sid,
        current_row.partner_sid,
        current_row.tree_path.clone(),
        &mut p,
    );
    check_acl_rules(
        &state,
        &current_row.tree_path,
        "acls",
        input.acls.value().map(Vec::as_slice).unwrap_or(&[]),
        &mut p,
    )
    .await?;
    p.finish()?;
    repo::upsert_group(&mut tx, &group).await?;
    let saved = repo::get_group(&mut *tx, group.trunk_group_sid, false)
        .await?
        .ok_or_else(|| ApiError::internal("an updated trunk group vanished"))?;
    tx.commit().await?;
    state.objects.of::<GroupRow>().invalidate(&saved.trunk_group_sid);
    Ok(Json(saved.to_wire()).into_response())
}

pub async fn delete_trunk_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let g = find_visible(&caller, &raw, GROUP, |sid| repo::get_group(&mut *tx, sid, true)).await?;
    let numbers = crate::resources::dids::repo::count_in_trunk_group(&mut *tx, g.trunk_group_sid).await?;
    let prefixes = crate::resources::prefixes::repo::count_using_trunk_group(&mut *tx, g.trunk_group_sid).await?;
    if prefixes > 0 {
        return Err(ApiError::conflict(
            "trunk_group_sid",
            format!("{prefixes} prefix(es) route through this trunk group: change or delete them first"),
        ));
    }
    if numbers > 0 {
        return Err(ApiError::conflict(
            "trunk_group_sid",
            format!("{numbers} phone number(s) use this trunk group: move or release them first"),
        ));
    }
    repo::delete_group(&mut *tx, g.trunk_group_sid).await?;
    tx.commit().await?;
    state.objects.of::<GroupRow>().invalidate(&g.trunk_group_sid);
    Ok(respond::no_content())
}

// ---- trunks ----

/// Checks a trunk of group `g` (its endpoint and ACL rules) and stores it.
async fn save_trunk(
    state: &AppState,
    tx: &mut sqlx::PgConnection,
    g: &GroupRow,
    input: &TrunkInput,
    trunk_sid: Uuid,
    mut p: Problems,
) -> ApiResult<TrunkRow> {
    let trunk = build_trunk(input, trunk_sid, g.trunk_group_sid, &mut p);
    check_endpoint(state, &trunk, g.partner_sid, "endpoint_sid", &mut p).await?;
    check_acl_rules(state, &g.tree_path, "acls", input.acls.value().map(Vec::as_slice).unwrap_or(&[]), &mut p).await?;
    p.finish()?;
    Ok(repo::upsert_trunk(tx, &trunk).await?)
}

pub async fn create_trunk(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    Body { mut input, problems: p, .. }: Body<TrunkInput>,
) -> ApiResult<Response> {
    // The reference's sample sends "endpoint_sid": "" for none.
    if input.endpoint_sid.value().is_some_and(String::is_empty) {
        input.endpoint_sid = Maybe::Null;
    }
    let mut tx = state.pool.begin().await?;
    let g = find_visible(&caller, &raw, GROUP, |sid| repo::get_group(&mut *tx, sid, true)).await?;
    let saved = save_trunk(&state, &mut tx, &g, &input, Uuid::new_v4(), p).await?;
    tx.commit().await?;
    Ok(Json(saved.to_wire()).into_response())
}

pub async fn list_trunks(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    url: RequestUrl,
) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::TRUNKS)?;
    let g = find_visible(&caller, &raw, GROUP, |sid| repo::get_group(&state.pool, sid, false)).await?;
    let page = repo::list_trunks(&state.pool, g.trunk_group_sid, &q).await?;
    respond::list(page.map(|t| t.to_wire()), &q, &url, "trunk_sid")
}

async fn find_trunk(
    caller: &Caller,
    raw_group: &str,
    raw: &str,
    tx: &mut sqlx::PgConnection,
    lock: bool,
) -> ApiResult<(GroupRow, TrunkRow)> {
    let g = find_visible(caller, raw_group, GROUP, |sid| repo::get_group(&mut *tx, sid, lock)).await?;
    let sid = parse_sid(raw, "trunk")?;
    let t = repo::get_trunk(tx, g.trunk_group_sid, sid, lock).await?.ok_or_else(|| ApiError::not_found("trunk"))?;
    Ok((g, t))
}

pub async fn get_trunk(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((group, raw)): PathParams<(String, String)>,
    query: QueryParams,
) -> ApiResult<Response> {
    let g = find_cached(&state, &caller, &group, GROUP, |s| repo::get_group(&state.pool, s, false)).await?;
    let sid = parse_sid(&raw, "trunk")?;
    match cached(&state, sid, |s| repo::get_trunk(&state.pool, g.trunk_group_sid, s, false)).await? {
        Some(t) if t.trunk_group_sid == g.trunk_group_sid => respond_cached(&t, &query, TrunkRow::to_wire),
        _ => Err(ApiError::not_found("trunk")),
    }
}

pub async fn update_trunk(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((group, raw)): PathParams<(String, String)>,
    mut update: Update<TrunkInput>,
) -> ApiResult<Response> {
    if update.body.get("endpoint_sid").is_some_and(|v| v == "") {
        update.body.insert("endpoint_sid".into(), Value::Null);
    }
    let mut tx = state.pool.begin().await?;
    let (g, current_row) = find_trunk(&caller, &group, &raw, &mut tx, true).await?;
    let (input, p) = update.input(&current_row.to_wire(), TRUNK_UPDATABLE)?;
    let saved = save_trunk(&state, &mut tx, &g, &input, current_row.trunk_sid, p).await?;
    tx.commit().await?;
    Ok(Json(saved.to_wire()).into_response())
}

pub async fn delete_trunk(
    State(state): State<AppState>,
    caller: Caller,
    PathParams((group, raw)): PathParams<(String, String)>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let (_, t) = find_trunk(&caller, &group, &raw, &mut tx, true).await?;
    repo::delete_trunk(&mut *tx, t.trunk_sid).await?;
    tx.commit().await?;
    Ok(respond::no_content())
}
