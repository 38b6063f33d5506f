use std::collections::{HashMap, HashSet};

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use uuid::Uuid;

use super::repo::{self, ShortCodeRow};
use super::types::{ShortCodeIngest, ShortCodeInput, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::Update;
use crate::resources::shared::{check_callback_url, find_cached, find_visible, respond_found};
use crate::resources::{did_groups, partners};
use crate::state::AppState;

const WHAT: &str = "short code";
pub const MAX_BATCH: usize = 10_000;

pub async fn list_short_codes(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?.map(|s| s.to_wire());
    partners::ops::respond_page(&state, &caller, page, &q, &url, "short_code_sid").await
}

pub async fn get_short_code(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let s = find_cached(&state, &caller, &raw, WHAT, |sid| repo::get(&state.pool, sid, false)).await?;
    respond_found(&state, &caller, &s, &query, |r, _| repo::ShortCodeRow::to_wire(r)).await
}

/// A DID group of `owner` named by `field`, checked (empty: none).
async fn did_group(
    db: &mut sqlx::PgConnection,
    owner: Uuid,
    field: &str,
    v: &Maybe<String>,
    p: &mut Problems,
) -> ApiResult<Option<Uuid>> {
    let Some(s) = v.value().filter(|s| !s.is_empty()) else { return Ok(None) };
    let found = match Uuid::parse_str(s) {
        Ok(u) => did_groups::repo::get(&mut *db, u).await?.filter(|g| g.partner_sid == owner),
        Err(_) => None,
    };
    if found.is_none() {
        p.add(field, "must be a DID group of the short code's partner");
    }
    Ok(found.map(|g| g.did_group_sid))
}

pub async fn update_short_code(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<ShortCodeInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let mut s = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&s.to_wire(), UPDATABLE)?;
    if let Maybe::Value(u) = &input.callback_url {
        check_callback_url(&state.own, "callback_url", u, &mut p);
    }
    s.did_group_sid = did_group(&mut tx, s.partner_sid, "did_group_sid", &input.did_group_sid, &mut p).await?;
    p.finish()?;
    s.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    s.attributes = Value::Object(input.attributes.value().cloned().unwrap_or_default());
    s.callback_url = input.callback_url.value().cloned().filter(|u| !u.is_empty());
    s.string_key_1 = input.string_key_1.value().cloned();
    s.string_key_2 = input.string_key_2.value().cloned();
    repo::update(&mut tx, &s).await?;
    tx.commit().await?;
    Ok(Json(s.to_wire()).into_response())
}

/// `POST /admin/phonenumber/short_codes`: one short code or up to 10,000, all or none.
pub async fn ingest_short_codes(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut errors = Problems::new();
    let batch: Batch<ShortCodeIngest> = Batch::parse(body.0, MAX_BATCH, "a short code", &mut errors)?;
    let mut rows: Vec<ShortCodeRow> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut conn = state.pool.acquire().await?;
    for (i, input) in &batch.items {
        let mut p = Problems::new();
        p.required("partner_sid", &input.partner_sid);
        p.required("short_code", &input.short_code);
        let code = input.short_code.value().cloned().unwrap_or_default();
        if input.short_code.value().is_some() {
            p.check(
                (3..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()),
                "short_code",
                "must be 3 to 8 digits",
            );
            if let Some(first) = seen.insert(code.clone(), *i) {
                p.add("short_code", format!("the same short code as item {first}"));
            }
        }
        let owner = match input.partner_sid.value() {
            Some(raw) => match Uuid::parse_str(raw) {
                Ok(sid) => partners::ops::find(&state, sid).await?,
                Err(_) => None,
            },
            None => None,
        };
        if input.partner_sid.value().is_some() && owner.is_none() {
            p.add("partner_sid", "cannot find partner");
        }
        let sid = match input.short_code_sid.value() {
            Some(s) => {
                Uuid::parse_str(s).map_err(|_| p.add("short_code_sid", "must be a secure ID")).unwrap_or_default()
            }
            None => Uuid::new_v4(),
        };
        if let Some(c) = input.country_code.value() {
            p.check(
                c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()),
                "country_code",
                "must be an ISO 3166-1 alpha-3 code",
            );
        }
        if let Maybe::Value(u) = &input.callback_url {
            check_callback_url(&state.own, "callback_url", u, &mut p);
        }
        let group = match &owner {
            Some(o) => did_group(&mut conn, o.partner_sid, "did_group_sid", &input.did_group_sid, &mut p).await?,
            None => None,
        };
        if batch.item_problems(*i, p, &mut errors) {
            continue;
        }
        let Some(owner) = owner else { continue };
        rows.push(ShortCodeRow {
            short_code_sid: sid,
            partner_sid: owner.partner_sid,
            short_code: code,
            name: input.name.value().cloned().unwrap_or_else(|| "N/A".into()),
            attributes: Value::Object(input.attributes.value().cloned().unwrap_or_default()),
            callback_url: input.callback_url.value().cloned().filter(|u| !u.is_empty()),
            country_code: Some(input.country_code.value().cloned().unwrap_or_else(|| "USA".into())),
            state: input.state.value().cloned(),
            locality: input.locality.value().cloned(),
            lrn_sid: None,
            did_group_sid: group,
            string_key_1: input.string_key_1.value().cloned(),
            string_key_2: input.string_key_2.value().cloned(),
            tree_path: owner.tree_path.clone(),
        });
    }
    drop(conn);
    errors.finish()?;
    let codes: Vec<String> = rows.iter().map(|r| r.short_code.clone()).collect();
    let sids: Vec<Uuid> = rows.iter().map(|r| r.short_code_sid).collect();
    let mut tx = state.pool.begin().await?;
    let taken = repo::taken(&mut *tx, &codes, &sids).await?;
    if !taken.is_empty() {
        let codes: HashSet<&str> = taken.iter().map(|t| t.0.as_str()).collect();
        return Err(ApiError::Conflict(
            rows.iter()
                .enumerate()
                .filter(|(_, r)| codes.contains(r.short_code.as_str()) || taken.iter().any(|t| t.1 == r.short_code_sid))
                .map(|(i, r)| {
                    FieldError::new(batch.at(i, "short_code"), "this short code exists already")
                        .with_reference(r.short_code.clone())
                })
                .collect(),
        ));
    }
    repo::insert(&mut tx, &rows).await?;
    let saved = repo::get_many(&mut tx, &sids).await?;
    tx.commit().await?;
    Ok(batch.answer(saved.iter().map(|r| r.to_wire())))
}
