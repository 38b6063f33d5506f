use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use uuid::Uuid;

use super::repo::{self, PrefixRow};
use super::types::{Prefix, PrefixInput, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, JsonBody, PathParams, QueryParams};
use crate::http::input::{parse_object, Maybe, Problems};
use crate::http::listing::{ListQuery, Page, RequestUrl};
use crate::http::patch::{Update, UpdateMode};
use crate::http::respond;
use crate::resources::shared::check_transformations;
use crate::resources::{partners, trunk_groups};
use crate::state::AppState;

async fn trunk_group(
    state: &AppState,
    owner: Uuid,
    field: &str,
    v: &Maybe<String>,
    p: &mut Problems,
) -> ApiResult<Option<Uuid>> {
    let Some(s) = v.value().filter(|s| !s.is_empty()) else { return Ok(None) };
    let found = match Uuid::parse_str(s) {
        Ok(u) => trunk_groups::repo::get_group(&mut *state.pool.acquire().await?, u, false)
            .await?
            .filter(|g| g.partner_sid == owner),
        Err(_) => None,
    };
    if found.is_none() {
        p.add(field, "must be a trunk group of the prefix's partner");
    }
    Ok(found.map(|g| g.trunk_group_sid))
}

/// Fills a prefix from a body (defaults for what is absent) and checks it.
async fn build(state: &AppState, input: &PrefixInput, mut row: PrefixRow, p: &mut Problems) -> ApiResult<PrefixRow> {
    match input.prefix.value() {
        None => p.add("prefix", "field is required"),
        Some(x) => p.check(
            !x.is_empty() && x.len() <= 15 && x.chars().all(|c| c.is_ascii_digit()),
            "prefix",
            "must be 1 to 15 digits",
        ),
    }
    if let Maybe::Value(u) = &input.callback_url {
        p.check(
            u.is_empty() || u.starts_with("http://") || u.starts_with("https://"),
            "callback_url",
            "must be an http(s) URL",
        );
    }
    row.prefix = input.prefix.value().cloned().unwrap_or_default();
    row.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    row.attributes = Value::Object(input.attributes.value().cloned().unwrap_or_default());
    row.callback_url = input.callback_url.value().cloned().filter(|s| !s.is_empty());
    row.trunk_group_sid = trunk_group(state, row.partner_sid, "trunk_group_sid", &input.trunk_group_sid, p).await?;
    row.source_trunk_group_sid =
        trunk_group(state, row.partner_sid, "source_trunk_group_sid", &input.source_trunk_group_sid, p).await?;
    row.string_key_1 = input.string_key_1.value().cloned();
    row.string_key_2 = input.string_key_2.value().cloned();
    row.transformations = check_transformations(&input.transformations, p);
    Ok(row)
}

async fn expand(state: &AppState, caller: &Caller, rows: &[PrefixRow], related: bool) -> ApiResult<Vec<Prefix>> {
    let partners = if related {
        partners::related(state, rows.iter().map(|g| g.partner_sid), caller.admin).await?
    } else {
        Default::default()
    };
    Ok(rows
        .iter()
        .map(|x| {
            let mut w = x.to_wire();
            w.partner = partners.get(&x.partner_sid).cloned().map(Box::new);
            w
        })
        .collect())
}

async fn find(
    state: &AppState,
    caller: &Caller,
    raw: &str,
    tx: Option<&mut sqlx::PgConnection>,
) -> ApiResult<PrefixRow> {
    let sid = parse_sid(raw, "prefix")?;
    let row = match tx {
        Some(tx) => repo::get(tx, sid, true).await?,
        None => repo::get(&mut *state.pool.acquire().await?, sid, false).await?,
    };
    match row {
        Some(x) if caller.sees(&x.tree_path) => Ok(x),
        _ => Err(ApiError::not_found("prefix")),
    }
}

pub async fn create_prefix(State(state): State<AppState>, caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let input: PrefixInput = parse_object(&body.into_object()?)?;
    let mut p = Problems::new();
    let owner = match input.partner_sid.value().filter(|s| !s.is_empty()) {
        None => partners::find(&state, caller.partner_sid()).await?,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(sid) => partners::find(&state, sid).await?.filter(|r| caller.sees(&r.tree_path)),
            Err(_) => None,
        },
    };
    let Some(owner) = owner else {
        return Err(ApiError::invalid("partner_sid", "cannot find partner"));
    };
    let blank = PrefixRow {
        prefix_sid: Uuid::new_v4(),
        partner_sid: owner.partner_sid,
        prefix: String::new(),
        name: String::new(),
        attributes: Value::Null,
        callback_url: None,
        lrn_sid: None,
        source_trunk_group_sid: None,
        trunk_group_sid: None,
        string_key_1: None,
        string_key_2: None,
        transformations: Value::Null,
        tree_path: owner.tree_path.clone(),
    };
    let row = build(&state, &input, blank, &mut p).await?;
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::upsert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Json(row.to_wire()).into_response())
}

pub async fn list_prefixes(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, &caller, &q).await?;
    let items = expand(&state, &caller, &page.items, url.query.with_related()?).await?;
    respond::list(Page { items, has_more: page.has_more, total: page.total }, &q, &url, "prefix_sid")
}

pub async fn get_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let x = find(&state, &caller, &raw, None).await?;
    let mut items = expand(&state, &caller, std::slice::from_ref(&x), query.with_related()?).await?;
    respond::object(&items.remove(0), &query)
}

pub async fn update_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    mut update: Update<PrefixInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current_row = find(&state, &caller, &raw, Some(&mut tx)).await?;
    // PUT without a prefix keeps it: a prefix cannot be empty.
    if update.mode == UpdateMode::Put && !update.body.contains_key("prefix") {
        update.body.insert("prefix".into(), Value::String(current_row.prefix.clone()));
    }
    let input = update.input(&current_row.to_wire(), UPDATABLE)?;
    let mut p = Problems::new();
    let row = build(&state, &input, current_row, &mut p).await?;
    p.finish()?;
    repo::upsert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Json(row.to_wire()).into_response())
}

pub async fn delete_prefix(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let x = find(&state, &caller, &raw, None).await?;
    repo::delete(&state.pool, x.prefix_sid).await?;
    Ok(respond::no_content())
}
