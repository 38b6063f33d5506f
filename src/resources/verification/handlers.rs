use axum::extract::State;
use axum::response::Response;

use super::types::{EmailTemplate, VerificationEmailInput};
use super::{ops, repo};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, Body, PathParams, QueryParams};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::state::AppState;

pub async fn send_verification_sms(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryParams,
) -> ApiResult<Response> {
    let answer = ops::send_code(&state, &caller, &query).await?;
    respond::object(&answer, &QueryParams::default())
}

pub async fn send_verification_email(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems, .. }: Body<VerificationEmailInput>,
) -> ApiResult<Response> {
    let answer = ops::send_email(&state, &caller, input, problems).await?;
    respond::object(&answer, &QueryParams::default())
}

pub async fn verify_email_token(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(token): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    respond::object(&ops::verify_token(&state, &token).await?, &query)
}

pub async fn list_email_templates(
    State(state): State<AppState>,
    _caller: Caller,
    url: RequestUrl,
) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::TEMPLATES)?;
    let page = repo::list_templates(&state.pool, &q).await?;
    respond::list(page, &q, &url, "template_sid")
}

pub async fn get_email_template(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "email template")?;
    let t = crate::resources::shared::cached(&state, sid, |s| repo::get_template(&state.pool, s))
        .await?
        .ok_or_else(|| ApiError::not_found("email template"))?;
    crate::resources::shared::respond_cached(&t, &query, EmailTemplate::clone)
}
