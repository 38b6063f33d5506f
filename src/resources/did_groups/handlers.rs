use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::repo::{self, GroupRow};
use super::types::{DidGroupInput, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::input::{Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::{find_cached, find_visible, respond_found};
use crate::state::AppState;

fn check_callback(state: &AppState, v: &Maybe<String>, p: &mut Problems) {
    if let Maybe::Value(u) = v {
        crate::resources::shared::check_callback_url(&state.own, "callback_url", u, p);
    }
}

const WHAT: &str = "did group";

pub async fn create_did_group(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<DidGroupInput>,
) -> ApiResult<Response> {
    check_callback(&state, &input.callback_url, &mut p);
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    p.finish()?;
    let Some(owner) = owner else { return Err(ApiError::internal("owner checked above")) };
    let row = GroupRow {
        did_group_sid: Uuid::new_v4(),
        partner_sid: owner.partner_sid,
        name: input.name.value().cloned().unwrap_or_else(|| "N/A".into()),
        callback_url: input.callback_url.value().cloned().filter(|s| !s.is_empty()),
        tree_path: owner.tree_path.clone(),
    };
    let mut tx = state.pool.begin().await?;
    repo::upsert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Json(row.to_wire()).into_response())
}

pub async fn list_did_groups(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?.map(|g| g.to_wire());
    partners::ops::respond_page(&state, &caller, page, &q, &url, "did_group_sid").await
}

pub async fn get_did_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let g = find_cached(&state, &caller, &raw, WHAT, |s| repo::get(&state.pool, s)).await?;
    respond_found(&state, &caller, &g, &query, |r, _| GroupRow::to_wire(r)).await
}

pub async fn update_did_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<DidGroupInput>,
) -> ApiResult<Response> {
    let mut g = find_visible(&caller, &raw, WHAT, |sid| repo::get(&state.pool, sid)).await?;
    let (input, mut p) = update.input(&g.to_wire(), UPDATABLE)?;
    check_callback(&state, &input.callback_url, &mut p);
    p.finish()?;
    g.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    g.callback_url = input.callback_url.value().cloned().filter(|s| !s.is_empty());
    let mut tx = state.pool.begin().await?;
    repo::upsert(&mut tx, &g).await?;
    tx.commit().await?;
    Ok(Json(g.to_wire()).into_response())
}

pub async fn delete_did_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let g = find_visible(&caller, &raw, WHAT, |sid| repo::get(&state.pool, sid)).await?;
    repo::delete(&state.pool, g.did_group_sid).await?;
    Ok(respond::no_content())
}
