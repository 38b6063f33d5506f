use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;

use super::ops;
use super::repo::{self};
use super::types::{PrefixInput, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::{Update, UpdateMode};
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::find_visible;
use crate::state::AppState;

const WHAT: &str = "prefix";

pub async fn create_prefix(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems, .. }: Body<PrefixInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let row = ops::create(&state, &mut tx, &caller, &input, problems).await?;
    tx.commit().await?;
    Ok(Json(row.to_wire()).into_response())
}

pub async fn list_prefixes(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?.map(|x| x.to_wire());
    partners::ops::respond_page(&state, &caller, page, &q, &url, "prefix_sid").await
}

pub async fn get_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let x = find_visible(&caller, &raw, WHAT, |sid| repo::get(&state.pool, sid, false)).await?;
    partners::ops::respond_object(&state, &caller, x.to_wire(), &query).await
}

pub async fn update_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    mut update: Update<PrefixInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current_row = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    // PUT without a prefix keeps it: a prefix cannot be empty.
    if update.mode == UpdateMode::Put && !update.body.contains_key("prefix") {
        update.body.insert("prefix".into(), Value::String(current_row.prefix.clone()));
    }
    let (input, p) = update.input(&current_row.to_wire(), UPDATABLE)?;
    let row = ops::update(&mut tx, current_row, &input, p).await?;
    tx.commit().await?;
    Ok(Json(row.to_wire()).into_response())
}

pub async fn delete_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let x = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    ops::delete(&mut tx, &x).await?;
    tx.commit().await?;
    Ok(respond::no_content())
}
