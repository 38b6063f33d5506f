use axum::extract::State;
use axum::response::Response;

use super::ops;
use super::repo;
use super::types::{InboundSmsInput, MessageDrInput, SmsMessageInput};
use crate::domain::scopes::Scope;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, Body, JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::resources::shared::{cached, respond_cached};
use crate::state::AppState;

pub async fn send_message(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems, .. }: Body<SmsMessageInput>,
) -> ApiResult<Response> {
    let row = ops::send(&state, &caller, input, problems).await?;
    respond::object(&row.to_wire(), &QueryParams::default())
}

pub async fn list_messages(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::MESSAGES)?;
    let page = repo::list_messages(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|r| r.to_wire()), &q, &url, "message_sid")
}

pub async fn get_message(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "message")?;
    match cached(&state, sid, |s| repo::get(&state.pool, s, false)).await? {
        Some(m) if m.row.row.message_sid == sid && (caller.admin || m.row.row.partner_sid == caller.partner_sid()) => {
            respond_cached(&m, &query, |m| m.row.to_wire())
        }
        _ => Err(ApiError::not_found("message")),
    }
}

/// Whether the caller reads its descendants' records too.
fn reads_descendants(caller: &Caller) -> bool {
    caller.admin || caller.scopes().contains(Scope::SmsReadDescendant)
}

pub async fn list_message_drs(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::DRS)?;
    let page = repo::list_drs(&state.pool, caller.tenancy(), reads_descendants(&caller), &q).await?;
    respond::list(page.map(|r| r.to_dr()), &q, &url, "dr_sid")
}

pub async fn get_message_dr(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "message detail record")?;
    let visible = |m: &repo::WithPath| {
        m.row.partner_sid == caller.partner_sid() || (reads_descendants(&caller) && caller.sees(&m.tree_path))
    };
    match cached(&state, sid, |s| repo::get(&state.pool, s, true)).await? {
        Some(m) if m.row.row.dr_sid == sid && visible(&m.row) => respond_cached(&m, &query, |m| m.row.to_dr()),
        _ => Err(ApiError::not_found("message detail record")),
    }
}

/// `POST /admin/simulator/sms`: a message from the outside world.
pub async fn simulate_inbound(
    State(state): State<AppState>,
    _caller: Caller,
    Body { input, problems, .. }: Body<InboundSmsInput>,
) -> ApiResult<Response> {
    let row = ops::arrive(&state, input, problems).await?;
    respond::object(&row.to_wire(), &QueryParams::default())
}

/// `POST /admin/sms/message_drs`: one record or an array of up to 10,000, all or none.
pub async fn ingest_message_drs(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut problems = Problems::new();
    let batch: Batch<MessageDrInput> = Batch::parse(body.0, ops::MAX_BATCH, "a message detail record", &mut problems)?;
    let saved = ops::ingest(&state, &batch, problems).await?;
    Ok(batch.answer(saved.iter().map(|r| r.to_dr())))
}
