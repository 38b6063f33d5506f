use axum::extract::State;
use axum::response::Response;

use super::repo;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, PathParams, QueryParams};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::state::AppState;

pub async fn list_classifications(
    State(state): State<AppState>,
    _caller: Caller,
    url: RequestUrl,
) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, &q).await?;
    respond::list(page.map(|c| c.to_wire()), &q, &url, "classification_sid")
}

pub async fn get_classification(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "classification")?;
    match crate::resources::shared::cached(&state, sid, |s| repo::get(&state.pool, s)).await? {
        Some(c) => crate::resources::shared::respond_cached(&c, &query, repo::ClassificationRow::to_wire),
        None => Err(ApiError::not_found("classification")),
    }
}
