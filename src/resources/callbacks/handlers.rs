use axum::extract::State;
use axum::response::Response;

use super::repo;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, PathParams, QueryParams};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::state::AppState;

pub async fn list_callbacks(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "callback_sid")
}

pub async fn get_callback(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "callback")?;
    match repo::get(&state.pool, sid).await? {
        Some((row, path)) if caller.sees(&path) => respond::object(&row.to_wire(), &query),
        _ => Err(ApiError::not_found("callback")),
    }
}
