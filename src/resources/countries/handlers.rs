use axum::extract::State;
use axum::response::Response;

use super::repo;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{PathParams, QueryParams};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::state::AppState;

pub async fn list_countries(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, &q).await?;
    respond::list(page, &q, &url, "iso_3166_alpha_3")
}

pub async fn get_country(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(code): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let country = repo::get(&state.pool, &code).await?.ok_or_else(|| ApiError::not_found("country"))?;
    respond::object(&country, &query)
}
