use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::repo::{self, GroupRow};
use super::types::{DidGroup, DidGroupInput, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, Body, PathParams, QueryParams};
use crate::http::input::{Maybe, Problems};
use crate::http::listing::{ListQuery, Page, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::partners;
use crate::state::AppState;

fn check_callback(v: &Maybe<String>, p: &mut Problems) {
    if let Maybe::Value(u) = v {
        p.check(
            u.is_empty() || u.starts_with("http://") || u.starts_with("https://"),
            "callback_url",
            "must be an http(s) URL",
        );
    }
}

async fn expand(state: &AppState, caller: &Caller, rows: &[GroupRow], related: bool) -> ApiResult<Vec<DidGroup>> {
    let partners = if related {
        partners::related(state, rows.iter().map(|g| g.partner_sid), caller.admin).await?
    } else {
        Default::default()
    };
    Ok(rows
        .iter()
        .map(|g| {
            let mut w = g.to_wire();
            w.partner = partners.get(&g.partner_sid).cloned().map(Box::new);
            w
        })
        .collect())
}

async fn find(state: &AppState, caller: &Caller, raw: &str) -> ApiResult<GroupRow> {
    let sid = parse_sid(raw, "did group")?;
    match repo::get(&mut *state.pool.acquire().await?, sid).await? {
        Some(g) if caller.sees(&g.tree_path) => Ok(g),
        _ => Err(ApiError::not_found("did group")),
    }
}

pub async fn create_did_group(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<DidGroupInput>,
) -> ApiResult<Response> {
    check_callback(&input.callback_url, &mut p);
    let owner = match input.partner_sid.value().filter(|s| !s.is_empty()) {
        None => partners::find(&state, caller.partner_sid()).await?,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(sid) => partners::find(&state, sid).await?.filter(|r| caller.sees(&r.tree_path)),
            Err(_) => None,
        },
    };
    if owner.is_none() {
        p.add("partner_sid", "cannot find partner");
    }
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
    let page = repo::list(&state.pool, &caller, &q).await?;
    let items = expand(&state, &caller, &page.items, url.query.with_related()?).await?;
    respond::list(Page { items, has_more: page.has_more, total: page.total }, &q, &url, "did_group_sid")
}

pub async fn get_did_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let g = find(&state, &caller, &raw).await?;
    let mut items = expand(&state, &caller, std::slice::from_ref(&g), query.with_related()?).await?;
    respond::object(&items.remove(0), &query)
}

pub async fn update_did_group(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<DidGroupInput>,
) -> ApiResult<Response> {
    let mut g = find(&state, &caller, &raw).await?;
    let (input, mut p) = update.input(&g.to_wire(), UPDATABLE)?;
    check_callback(&input.callback_url, &mut p);
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
    let g = find(&state, &caller, &raw).await?;
    repo::delete(&state.pool, g.did_group_sid).await?;
    Ok(respond::no_content())
}
