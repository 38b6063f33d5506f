use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::Value;
use uuid::Uuid;

use super::repo::{self, DomainRow, LinkRow};
use super::types::{DomainInput, LinkInput, DOMAIN_UPDATABLE, LINK_UPDATABLE, MODES, SCOPES, SECURE};
use crate::domain::scopes::Scope;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_bool, Body, PathParams, QueryParams};
use crate::http::input::{Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::{find_cached, find_visible, respond_cached};
use crate::state::AppState;

fn one_of(v: &Maybe<String>, field: &str, default: &str, allowed: &[&str], p: &mut Problems) -> String {
    match v.value() {
        None => default.to_owned(),
        Some(s) if allowed.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            p.add(field, format!("must be one of {}", allowed.join(", ")));
            default.to_owned()
        }
    }
}

fn status_code(v: &Maybe<i64>, field: &str, p: &mut Problems) -> Option<i32> {
    let c = v.value().copied()?;
    let ok = (200..300).contains(&c) || (400..600).contains(&c);
    p.check(ok, field, "must be a 2xx, 4xx or 5xx status code");
    ok.then_some(c as i32)
}

/// A privilege scope a field's value needs (403 without it).
fn privilege(caller: &Caller, needed: bool, scope: Scope) -> ApiResult<()> {
    if needed && !caller.admin && !caller.scopes().grants(scope) {
        return Err(ApiError::Forbidden);
    }
    Ok(())
}

/// Fills a domain from a body (defaults for what is absent) and checks it.
fn build_domain(caller: &Caller, input: &DomainInput, mut d: DomainRow, p: &mut Problems) -> ApiResult<DomainRow> {
    match input.domain_name.value() {
        None => p.add("domain_name", "field is required"),
        Some(n) => p.check(
            !n.is_empty()
                && n.len() <= 253
                && n.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
                && !n.starts_with(['.', '-', ':']),
            "domain_name",
            "must be a host name (letters, digits, dots, hyphens; a port after a colon)",
        ),
    }
    d.domain_name = input.domain_name.value().map(|n| n.to_ascii_lowercase()).unwrap_or_default();
    d.expired_mode = one_of(&input.expired_mode, "expired_mode", "redirect_temporary", MODES, p);
    d.not_found_mode = one_of(&input.not_found_mode, "not_found_mode", "redirect_temporary", MODES, p);
    d.scope = one_of(&input.scope, "scope", "children", SCOPES, p);
    d.secure = one_of(&input.secure, "secure", "disabled", SECURE, p);
    d.expired_page = input.expired_page.value().cloned();
    d.not_found_page = input.not_found_page.value().cloned();
    d.expired_status_code = status_code(&input.expired_status_code, "expired_status_code", p);
    d.not_found_status_code = status_code(&input.not_found_status_code, "not_found_status_code", p);
    d.minimum_length = match input.minimum_length.value() {
        None => 6,
        Some(n) if (1..=64).contains(n) => *n as i32,
        Some(_) => {
            p.add("minimum_length", "must be between 1 and 64");
            6
        }
    };
    d.suffix_pattern = input.suffix_pattern.value().cloned().filter(|s| !s.is_empty());
    if let Some(re) = &d.suffix_pattern {
        if let Err(e) = crate::domain::patterns::compile(re) {
            p.add("suffix_pattern", format!("invalid regular expression: {e}"));
        }
    }
    privilege(
        caller,
        d.expired_mode == "proxy_pass" || d.not_found_mode == "proxy_pass",
        Scope::ShortenerAllowDomainModeProxypass,
    )?;
    privilege(caller, d.secure == "required", Scope::ShortenerAllowDomainSecureRequired)?;
    Ok(d)
}

pub async fn create_domain(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<DomainInput>,
) -> ApiResult<Response> {
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    let blank = DomainRow {
        domain_sid: Uuid::new_v4(),
        partner_sid: owner.as_ref().map(|o| o.partner_sid).unwrap_or_default(),
        domain_name: String::new(),
        expired_mode: String::new(),
        expired_page: None,
        expired_status_code: None,
        minimum_length: 6,
        not_found_mode: String::new(),
        not_found_page: None,
        not_found_status_code: None,
        scope: String::new(),
        secure: String::new(),
        suffix_pattern: None,
        tree_path: owner.as_ref().map(|o| o.tree_path.clone()).unwrap_or_default(),
    };
    let d = build_domain(&caller, &input, blank, &mut p)?;
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::upsert_domain(&mut tx, &d).await?;
    tx.commit().await?;
    Ok(Json(d.to_wire()).into_response())
}

pub async fn list_domains(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::DOMAIN_LIST)?;
    let page = repo::list_domains(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|d| d.to_wire()), &q, &url, "domain_sid")
}

pub async fn get_domain(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let d = find_cached(&state, &caller, &raw, "domain", |sid| repo::get_domain(&state.pool, sid, false)).await?;
    respond_cached(&d, &query, DomainRow::to_wire)
}

pub async fn update_domain(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<DomainInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current = find_visible(&caller, &raw, "domain", |sid| repo::get_domain(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&current.to_wire(), DOMAIN_UPDATABLE)?;
    let d = build_domain(&caller, &input, current, &mut p)?;
    p.finish()?;
    repo::upsert_domain(&mut tx, &d).await?;
    tx.commit().await?;
    state.objects.of::<DomainRow>().invalidate(&d.domain_sid);
    Ok(Json(d.to_wire()).into_response())
}

pub async fn delete_domain(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let d = find_visible(&caller, &raw, "domain", |sid| repo::get_domain(&state.pool, sid, false)).await?;
    repo::delete_domain(&state.pool, d.domain_sid).await?;
    state.objects.of::<DomainRow>().invalidate(&d.domain_sid);
    Ok(respond::no_content())
}

/// `maximum_ttl`: seconds (-1: forever), a number or a string of one (as the reference's sample).
fn ttl(v: &Maybe<Value>, p: &mut Problems) -> i32 {
    let n = match v.value() {
        None => return -1,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    match n {
        Some(n) if (-1..=i32::MAX as i64).contains(&n) => n as i32,
        _ => {
            p.add("maximum_ttl", "must be -1 (never expires) or a number of seconds");
            -1
        }
    }
}

fn short_name_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= 128 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Fills a link from a body and checks it (the domain is checked by the caller).
fn build_link(caller: &Caller, input: &LinkInput, mut l: LinkRow, p: &mut Problems) -> ApiResult<LinkRow> {
    match input.destination_url.value() {
        None => p.add("destination_url", "field is required"),
        Some(u) => p.check(
            (u.starts_with("http://") || u.starts_with("https://")) && u.len() > 8 && u.len() <= 4096,
            "destination_url",
            "must be an http(s) URL",
        ),
    }
    l.destination_url = input.destination_url.value().cloned().unwrap_or_default();
    l.maximum_ttl = ttl(&input.maximum_ttl, p);
    l.mode = one_of(&input.mode, "mode", "redirect_temporary", MODES, p);
    if let Some(s) = input.short_name.value() {
        p.check(short_name_ok(s), "short_name", "must be 1 to 128 letters, digits, '-', '_' or '.'");
        l.short_name = s.clone();
    }
    privilege(caller, l.mode == "proxy_pass", Scope::ShortenerAllowLinkModeProxypass)?;
    Ok(l)
}

pub async fn create_link(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryParams,
    Body { input, problems: mut p, .. }: Body<LinkInput>,
) -> ApiResult<Response> {
    let reuse = match query.get("reuse").filter(|s| !s.is_empty()) {
        None => false,
        Some(v) => parse_bool(v).ok_or_else(|| ApiError::bad_param("reuse", "must be true or false"))?,
    };
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    // The domain: its partner's or an ancestor's (scope `children`: its tree makes links on it).
    let domain = match input.domain_sid.value() {
        None => {
            p.add("domain_sid", "field is required");
            None
        }
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(sid) => repo::get_domain(&state.pool, sid, false).await?,
                Err(_) => None,
            };
            let usable =
                found.filter(|d| owner.as_ref().is_some_and(|o| o.tree_path.starts_with(d.tree_path.as_str())));
            if usable.is_none() {
                p.add("domain_sid", "cannot find a domain the link's partner may use");
            }
            usable
        }
    };
    let blank = LinkRow {
        link_sid: Uuid::new_v4(),
        partner_sid: owner.as_ref().map(|o| o.partner_sid).unwrap_or_default(),
        domain_sid: domain.as_ref().map(|d| d.domain_sid).unwrap_or_default(),
        destination_url: String::new(),
        short_name: String::new(),
        maximum_ttl: -1,
        mode: String::new(),
        hits: 0,
        date_accessed: None,
        date_created: chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3),
        domain_name: domain.as_ref().map(|d| d.domain_name.clone()).unwrap_or_default(),
        secure: domain.as_ref().map(|d| d.secure.clone()).unwrap_or_default(),
        tree_path: owner.as_ref().map(|o| o.tree_path.clone()).unwrap_or_default(),
    };
    let mut l = build_link(&caller, &input, blank, &mut p)?;
    p.finish()?;
    let Some(domain) = domain else { return Err(ApiError::internal("checked above")) };
    if reuse {
        if let Some(found) = repo::reusable(&state.pool, l.partner_sid, l.domain_sid, &l.destination_url).await? {
            return Ok(Json(found.to_wire()).into_response());
        }
    }
    let generated = l.short_name.is_empty();
    let mut tx = state.pool.begin().await?;
    for attempt in 0.. {
        if generated {
            let length = domain.minimum_length.max(1) as usize + attempt / 8;
            l.short_name = crate::resources::endpoints::repo::random_alnum(length);
        }
        if repo::save_link(&mut tx, &l).await? {
            break;
        }
        if !generated || attempt >= 64 {
            return Err(ApiError::conflict("short_name", "this short name is taken on the domain"));
        }
    }
    tx.commit().await?;
    Ok(Json(l.to_wire()).into_response())
}

pub async fn list_links(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LINK_LIST)?;
    let page = repo::list_links(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|l| l.to_wire()), &q, &url, "link_sid")
}

pub async fn get_link(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let l = find_cached(&state, &caller, &raw, "link", |sid| repo::get_link(&state.pool, sid, false)).await?;
    respond_cached(&l, &query, LinkRow::to_wire)
}

pub async fn update_link(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<LinkInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current = find_visible(&caller, &raw, "link", |sid| repo::get_link(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&current.to_wire(), LINK_UPDATABLE)?;
    let keep = current.short_name.clone();
    let mut l = build_link(&caller, &input, current, &mut p)?;
    if l.short_name.is_empty() {
        l.short_name = keep;
    }
    p.finish()?;
    if !repo::save_link(&mut tx, &l).await? {
        return Err(ApiError::conflict("short_name", "this short name is taken on the domain"));
    }
    tx.commit().await?;
    state.objects.of::<LinkRow>().invalidate(&l.link_sid);
    Ok(Json(l.to_wire()).into_response())
}

pub async fn delete_link(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let l = find_visible(&caller, &raw, "link", |sid| repo::get_link(&state.pool, sid, false)).await?;
    repo::delete_link(&state.pool, l.link_sid).await?;
    state.objects.of::<LinkRow>().invalidate(&l.link_sid);
    Ok(respond::no_content())
}
