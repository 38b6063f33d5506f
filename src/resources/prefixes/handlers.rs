use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::Value;

use super::ops;
use super::repo::{self, PrefixRow};
use super::types::{Kind, LrnPrefixInput, PrefixInput, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::{Update, UpdateMode};
use crate::http::respond;
use crate::resources::partners::{self, ops::HasPartner};
use crate::resources::shared::{find_cached, find_visible, respond_found};
use crate::state::AppState;

/// The routes of both kinds are these, told their kind and how a row goes on the wire.
async fn create<W: Serialize>(
    state: AppState,
    caller: Caller,
    kind: Kind,
    input: PrefixInput,
    problems: crate::http::input::Problems,
    wire: fn(&PrefixRow) -> W,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let row = ops::create(&state, &mut tx, &caller, kind, &input, problems).await?;
    tx.commit().await?;
    Ok(Json(wire(&row)).into_response())
}

async fn list<W: Serialize + HasPartner>(
    state: AppState,
    caller: Caller,
    url: RequestUrl,
    kind: Kind,
    wire: fn(&PrefixRow) -> W,
) -> ApiResult<Response> {
    let spec = if kind == Kind::Lrn { &repo::LRN_LIST } else { &repo::LIST };
    let q = ListQuery::parse(&url.query, spec)?;
    let page = repo::list(&state.pool, caller.tenancy(), kind, &q).await?.map(|x| wire(&x));
    let sid = if kind == Kind::Lrn { "lrn_prefix_sid" } else { "prefix_sid" };
    partners::ops::respond_page(&state, &caller, page, &q, &url, sid).await
}

async fn get<W: Serialize + HasPartner>(
    state: AppState,
    caller: Caller,
    raw: String,
    query: QueryParams,
    kind: Kind,
    wire: fn(&PrefixRow) -> W,
) -> ApiResult<Response> {
    let x = find_cached(&state, &caller, &raw, kind.what(), |s| repo::get(&state.pool, kind, s, false)).await?;
    // Both kinds live in one table (and one cache): a secure ID of the other kind is not found.
    if x.kind != kind.as_str() {
        return Err(crate::http::error::ApiError::not_found(kind.what()));
    }
    respond_found(&state, &caller, &x, &query, |r, _| wire(r)).await
}

async fn update<W: Serialize>(
    state: AppState,
    caller: Caller,
    raw: String,
    mut update: Update<PrefixInput>,
    kind: Kind,
    wire: fn(&PrefixRow) -> W,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current_row = find_visible(&caller, &raw, kind.what(), |sid| repo::get(&mut *tx, kind, sid, true)).await?;
    // PUT without a prefix keeps it: a prefix cannot be empty.
    if update.mode == UpdateMode::Put && !update.body.contains_key("prefix") {
        update.body.insert("prefix".into(), Value::String(current_row.prefix.clone()));
    }
    let (input, p) = update.input(&current_row.to_wire(), UPDATABLE)?;
    let row = ops::update(&mut tx, current_row, &input, p).await?;
    tx.commit().await?;
    Ok(Json(wire(&row)).into_response())
}

async fn delete(state: AppState, caller: Caller, raw: String, kind: Kind) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let x = find_visible(&caller, &raw, kind.what(), |sid| repo::get(&mut *tx, kind, sid, true)).await?;
    ops::delete(&mut tx, &x).await?;
    tx.commit().await?;
    Ok(respond::no_content())
}

// ---- routing prefixes ----

pub async fn create_prefix(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems, .. }: Body<PrefixInput>,
) -> ApiResult<Response> {
    create(state, caller, Kind::Routing, input, problems, PrefixRow::to_wire).await
}

pub async fn list_prefixes(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    list(state, caller, url, Kind::Routing, PrefixRow::to_wire).await
}

pub async fn get_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    get(state, caller, raw, query, Kind::Routing, PrefixRow::to_wire).await
}

pub async fn update_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    body: Update<PrefixInput>,
) -> ApiResult<Response> {
    update(state, caller, raw, body, Kind::Routing, PrefixRow::to_wire).await
}

pub async fn delete_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    delete(state, caller, raw, Kind::Routing).await
}

// ---- LRN prefixes ----

pub async fn create_lrn_prefix(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems, .. }: Body<LrnPrefixInput>,
) -> ApiResult<Response> {
    create(state, caller, Kind::Lrn, input.into(), problems, PrefixRow::to_lrn_wire).await
}

pub async fn list_lrn_prefixes(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    list(state, caller, url, Kind::Lrn, PrefixRow::to_lrn_wire).await
}

pub async fn get_lrn_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    get(state, caller, raw, query, Kind::Lrn, PrefixRow::to_lrn_wire).await
}

pub async fn update_lrn_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    body: Update<LrnPrefixInput>,
) -> ApiResult<Response> {
    update(state, caller, raw, body.map_input(), Kind::Lrn, PrefixRow::to_lrn_wire).await
}

pub async fn delete_lrn_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    delete(state, caller, raw, Kind::Lrn).await
}
