use axum::extract::State;
use axum::response::Response;

use super::repo::{self, MailRow};
use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::state::AppState;

pub async fn list_mails(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, &q).await?;
    respond::list(page.map(MailRow::into_wire), &q, &url, "mail_sid")
}
