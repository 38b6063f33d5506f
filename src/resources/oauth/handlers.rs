use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Duration;
use serde_json::Value;
use uuid::Uuid;

use super::repo::{self, LoginRow, NewToken, TokenRow};
use super::types::{OAuthTokenInput, PartnerLoginInput, LOGIN_UPDATABLE, TOKEN_UPDATABLE};
use super::TOKEN_CREATE;
use crate::domain::scopes::{Scope, ScopeSet};
use crate::domain::secrets;
use crate::domain::time::parse_instant;
use crate::http::auth::{self, cache, Caller, MaybeCaller};
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, Body, FormBody, PathParams, QueryParams};
use crate::http::input::{parse_into, Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::{self, Update, UpdateMode};
use crate::http::respond;
use crate::resources::partners::ops::{validate_password, visible};
use crate::resources::partners::repo as partners;
use crate::state::AppState;

/// Checks `client_id` and `client_secret` (argon2, off the async threads).
async fn check_client(state: &AppState, form: &FormBody) -> ApiResult<String> {
    let mut p = Problems::new();
    p.check(form.get("client_id").is_some(), "client_id", "field is required");
    p.check(form.get("client_secret").is_some(), "client_secret", "field is required");
    p.finish()?;
    let id = form.get("client_id").unwrap_or_default().to_owned();
    let secret = form.get("client_secret").unwrap_or_default().to_owned();
    let hash = repo::client_secret_hash(&state.pool, &id).await?;
    let known = hash.is_some();
    let hash = hash.unwrap_or_else(|| secrets::dummy_hash().to_owned());
    let ok = secrets::verify_password_async(secret, hash).await;
    if ok && known {
        Ok(id)
    } else {
        Err(ApiError::Unauthorized)
    }
}

fn lifetime(form: &FormBody, field: &str, p: &mut Problems) -> Duration {
    match form.get(field) {
        None => repo::default_lifetime(),
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if n > 0 && n <= repo::default_lifetime().num_seconds() => Duration::seconds(n),
            _ => {
                p.add(field, "must be a positive number of seconds (at most a hundred years)");
                repo::default_lifetime()
            }
        },
    }
}

/// The `scope` argument (comma- or space-separated) within what is allowed; all of it by default.
fn requested_scopes(form: &FormBody, allowed: &ScopeSet, p: &mut Problems) -> ScopeSet {
    match form.get("scope") {
        None => *allowed,
        Some(raw) => {
            let items: Vec<&str> = raw.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
            match ScopeSet::parse_all(&items) {
                Err(bad) => {
                    p.add("scope", format!("unknown scopes: {}", bad.join(", ")));
                    ScopeSet::EMPTY
                }
                Ok(set) if !set.is_subset_of(allowed) => {
                    let extra: Vec<String> =
                        set.iter().filter(|s| !allowed.contains(*s)).map(|s| s.to_string()).collect();
                    p.add("scope", format!("not available to the partner: {}", extra.join(", ")));
                    ScopeSet::EMPTY
                }
                Ok(set) => set,
            }
        }
    }
}

fn token_response(row: &TokenRow, admin: bool) -> Response {
    Json(row.to_wire(admin)).into_response()
}

/// `POST /oauth/token`: `grant_type=password` (login and password of a partner or sub-login)
/// or `grant_type=refresh_token` (`refresh_token_type` `access_token`, `refresh_token` or
/// `new_token`).
pub async fn generate_token(
    State(state): State<AppState>,
    MaybeCaller(caller): MaybeCaller,
    form: FormBody,
) -> ApiResult<Response> {
    let admin = caller.as_ref().is_some_and(|c| c.admin);
    let grant = form.get("grant_type").map(str::to_owned);
    let mut p = Problems::new();
    match grant.as_deref() {
        None => p.add("grant_type", "field is required"),
        Some("password") => {
            p.check(form.get("username").is_some(), "username", "field is required");
            p.check(form.get("password").is_some(), "password", "field is required");
        }
        Some("refresh_token") => {
            p.check(form.get("refresh_token").is_some(), "refresh_token", "field is required");
            if let Some(t) = form.get("refresh_token_type") {
                p.check(
                    ["access_token", "new_token", "refresh_token"].contains(&t),
                    "refresh_token_type",
                    "must be access_token, new_token or refresh_token",
                );
            }
        }
        Some(_) => p.add("grant_type", "must be password or refresh_token"),
    }
    if caller.is_none()
        && p.0
            .iter()
            .any(|e| matches!(e.field.as_deref(), Some("grant_type" | "username" | "password" | "refresh_token")))
    {
        // Nothing to authenticate with.
        return Err(ApiError::Unauthorized);
    }
    p.finish()?;
    let client_id = check_client(&state, &form).await?;
    let mut p = Problems::new();
    let access_lifetime = lifetime(&form, "access_token_expires_in", &mut p);
    let refresh_lifetime = lifetime(&form, "refresh_token_expires_in", &mut p);
    let name = form.get("name").map(str::to_owned);

    if grant.as_deref() == Some("password") {
        let login = form.get("username").unwrap_or_default();
        let cred = auth::check_password(&state, login, form.get("password").unwrap_or_default()).await?;
        let allowed = auth::effective_scopes(cred.available_scopes, None, cred.token_scopes);
        if caller.is_none() && !allowed.grants_any(TOKEN_CREATE) {
            return Err(ApiError::Forbidden);
        }
        let scopes = requested_scopes(&form, &allowed, &mut p);
        p.finish()?;
        let row = repo::insert_token(
            &state.pool,
            NewToken {
                partner_sid: cred.partner_sid,
                client_id,
                name,
                scopes,
                login_sid: cred.login_sid,
                partner_login: Some(login.to_owned()),
                access_lifetime,
                refresh_lifetime,
                access_token: None,
            },
        )
        .await?;
        return Ok(token_response(&row, admin));
    }

    // grant_type=refresh_token
    let mut tx = state.pool.begin().await?;
    let refresh = form.get("refresh_token").unwrap_or_default();
    let mut row = match repo::find_by_refresh(&mut tx, refresh).await? {
        Some(r) if r.date_expiration_refresh_token > chrono::Utc::now() => r,
        _ => return Err(ApiError::Unauthorized),
    };
    let partner = partners::get(&mut *tx, row.partner_sid).await?.ok_or(ApiError::Unauthorized)?;
    if !auth::USABLE_STATUSES.contains(&partner.status.as_str()) {
        return Err(ApiError::Unauthorized);
    }
    let available = partner.available_scopes;
    if caller.is_none() && !available.grants_any(TOKEN_CREATE) {
        return Err(ApiError::Forbidden);
    }
    let now = chrono::Utc::now();
    let out = match form.get("refresh_token_type").unwrap_or("access_token") {
        "new_token" => {
            let allowed = row.scopes.intersect(&available);
            let scopes = requested_scopes(&form, &allowed, &mut p);
            p.finish()?;
            repo::insert_token(
                &mut *tx,
                NewToken {
                    partner_sid: row.partner_sid,
                    client_id,
                    name: name.or(row.name.clone()),
                    scopes,
                    login_sid: row.login_sid,
                    partner_login: row.partner_login.clone(),
                    access_lifetime,
                    refresh_lifetime,
                    access_token: None,
                },
            )
            .await?
        }
        kind => {
            p.finish()?;
            if kind == "refresh_token" {
                row.date_expiration_refresh_token = now + refresh_lifetime;
            } else {
                row.date_expiration_access_token = now + access_lifetime;
            }
            if name.is_some() {
                row.name = name;
            }
            repo::save_token(&mut tx, &row).await?
        }
    };
    tx.commit().await?;
    state.auth.invalidate_token(row.token_sid);
    Ok(token_response(&out, admin))
}

/// `POST /oauth/token/{partner_sid}`: a token for a sub-partner (or the caller itself).
pub async fn generate_token_for_partner(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw_sid): PathParams<String>,
    form: FormBody,
) -> ApiResult<Response> {
    let client_id = check_client(&state, &form).await?;
    let target = visible(&state, &caller, &raw_sid).await?;
    let mut p = Problems::new();
    let access_lifetime = lifetime(&form, "access_token_expires_in", &mut p);
    let refresh_lifetime = lifetime(&form, "refresh_token_expires_in", &mut p);
    let scopes = requested_scopes(&form, &target.available_scopes, &mut p);
    p.finish()?;
    let row = repo::insert_token(
        &state.pool,
        NewToken {
            partner_sid: target.partner_sid,
            client_id,
            name: form.get("name").map(str::to_owned),
            scopes,
            login_sid: None,
            partner_login: Some(caller.principal.partner_login.clone()),
            access_lifetime,
            refresh_lifetime,
            access_token: None,
        },
    )
    .await?;
    Ok(token_response(&row, caller.admin))
}

fn sees_all_tokens(caller: &Caller) -> bool {
    caller.admin || caller.scopes().contains(Scope::OauthManageAllTokens)
}

/// `POST /oauth/revoke`: revokes `token` (an access token, or a refresh token with
/// `token_type=refresh_token`), or the token of the request itself. Tokens the caller cannot
/// see are left alone, answered like the others (RFC 7009).
pub async fn revoke_token(State(state): State<AppState>, caller: Caller, form: FormBody) -> ApiResult<Response> {
    check_client(&state, &form).await?;
    let mut tx = state.pool.begin().await?;
    let target = match form.get("token") {
        Some(t) => {
            let found = if form.get("token_type") == Some("refresh_token") {
                repo::find_by_refresh(&mut tx, t).await?
            } else {
                repo::find_by_access(&mut tx, t).await?
            };
            match found {
                Some(row) => repo::get_token(&mut tx, caller.tenancy(), sees_all_tokens(&caller), row.token_sid, true)
                    .await?
                    .map(|r| r.token_sid),
                None => None,
            }
        }
        None => Some(
            caller
                .principal
                .token_sid
                .ok_or_else(|| ApiError::invalid("token", "field is required when authenticating without a token"))?,
        ),
    };
    if let Some(sid) = target {
        repo::delete_token(&mut *tx, sid).await?;
    }
    tx.commit().await?;
    if let Some(sid) = target {
        state.auth.invalidate_token(sid);
    }
    Ok(respond::no_content())
}

/// Attaches the related partners (`with_related=true`) with one query per page.
async fn with_partners(state: &AppState, rows: &[TokenRow], admin: bool) -> ApiResult<Vec<super::types::OAuthToken>> {
    let items = rows.iter().map(|r| r.to_wire(admin)).collect();
    crate::resources::partners::ops::with_related(state, admin, true, items).await
}

pub async fn list_tokens(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::TOKENS)?;
    let related = url.query.with_related()?;
    cache::flush_last_access(&state.auth, &state.pool).await?;
    let page = repo::list_tokens(&state.pool, caller.tenancy(), sees_all_tokens(&caller), &q).await?;
    if related {
        let items = with_partners(&state, &page.items, caller.admin).await?;
        let page = crate::http::listing::Page { items, has_more: page.has_more, total: page.total };
        return respond::list(page, &q, &url, "token_sid");
    }
    respond::list(page.map(|r| r.to_wire(caller.admin)), &q, &url, "token_sid")
}

/// `GET /oauth/tokens/{token_sid}`: from the object cache, with this instance's last use of the
/// token (written to the database every few seconds, not on every request) laid over it.
pub async fn get_token(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "token")?;
    let entry = crate::resources::shared::cached(&state, sid, |sid| repo::token_by_sid(&state.pool, sid))
        .await?
        .filter(|e| e.visible_to(caller.tenancy(), sees_all_tokens(&caller)))
        .ok_or_else(|| ApiError::not_found("token"))?;
    let pending = state
        .auth
        .pending_access(entry.row.token.token_sid)
        .filter(|(date, _)| entry.row.token.date_last_accessed.is_none_or(|d| d < *date));
    let related = query.with_related()?;
    if pending.is_none() && !caller.admin && !related {
        return crate::resources::shared::respond_cached(&entry, &query, |e| e.token.to_wire(false));
    }
    let mut row = entry.row.token.clone();
    if let Some((date, ip)) = pending {
        row.date_last_accessed = Some(date);
        row.ip_last_accessed = ip.or(row.ip_last_accessed);
    }
    if related {
        let mut items = with_partners(&state, std::slice::from_ref(&row), caller.admin).await?;
        return respond::object(&items.remove(0), &query);
    }
    respond::object(&row.to_wire(caller.admin), &query)
}

pub async fn update_token(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<OAuthTokenInput>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "token")?;
    let mut tx = state.pool.begin().await?;
    let mut row = repo::get_token(&mut tx, caller.tenancy(), sees_all_tokens(&caller), sid, true)
        .await?
        .ok_or_else(|| ApiError::not_found("token"))?;
    let current = patch::wire_map(&row.to_wire(false))?;
    let mut merged = patch::apply(&current, &update.body, TOKEN_UPDATABLE, update.mode);
    // PUT without dates keeps them: a token cannot be left without an expiry.
    for k in ["date_expiration_access_token", "date_expiration_refresh_token"] {
        if merged.get(k).is_some_and(Value::is_null) {
            merged.insert(k.into(), current[k].clone());
        }
    }
    let mut p = update.problems.clone();
    let input: OAuthTokenInput = parse_into(&merged, &mut p)?;
    let access = input.date_expiration_access_token.value().and_then(|s| parse_instant(s));
    let refresh = input.date_expiration_refresh_token.value().and_then(|s| parse_instant(s));
    p.check(access.is_some(), "date_expiration_access_token", "must be a date and time");
    p.check(refresh.is_some(), "date_expiration_refresh_token", "must be a date and time");
    let mut scopes = row.scopes;
    let new_scopes = input.scopes.value().cloned().unwrap_or_default();
    let changed = ScopeSet::parse_all(&new_scopes).map(|s| s != row.scopes).unwrap_or(true);
    if changed {
        if !caller.admin && !caller.scopes().contains(Scope::OauthAllowTokenScopeUpdate) {
            return Err(ApiError::Forbidden);
        }
        let partner = partners::get(&mut *tx, row.partner_sid).await?.ok_or_else(|| ApiError::not_found("token"))?;
        match ScopeSet::parse_all(&new_scopes) {
            Err(bad) => p.add("scopes", format!("unknown scopes: {}", bad.join(", "))),
            Ok(set) if !set.is_subset_of(&partner.available_scopes) => {
                p.add("scopes", "every scope must be in the partner's available_scopes")
            }
            Ok(set) => scopes = set,
        }
    }
    p.finish()?;
    row.name = input.name.into_option();
    row.scopes = scopes;
    let (Some(access), Some(refresh)) = (access, refresh) else {
        return Err(ApiError::internal("dates checked above"));
    };
    row.date_expiration_access_token = access;
    row.date_expiration_refresh_token = refresh;
    let saved = repo::save_token(&mut tx, &row).await?;
    tx.commit().await?;
    state.auth.invalidate_token(saved.token_sid);
    Ok(token_response(&saved, caller.admin))
}

pub async fn whoami(State(state): State<AppState>, caller: Caller, query: QueryParams) -> ApiResult<Response> {
    let row =
        crate::resources::partners::ops::find(&state, caller.partner_sid()).await?.ok_or(ApiError::Unauthorized)?;
    if caller.admin {
        return respond::object(&row.to_wire(true), &query);
    }
    respond::json_bytes(crate::resources::partners::ops::public_json(&row), &query)
}

// ---- partner logins ----

fn login_scopes(list: &[String], available: &ScopeSet, p: &mut Problems) -> Vec<String> {
    match ScopeSet::parse_all(list) {
        Err(bad) => {
            p.add("token_scopes", format!("unknown scopes: {}", bad.join(", ")));
            Vec::new()
        }
        Ok(set) if !set.is_subset_of(available) => {
            p.add("token_scopes", "every scope must be in the partner's available_scopes");
            Vec::new()
        }
        Ok(set) => set.to_strings(),
    }
}

pub async fn create_login(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<PartnerLoginInput>,
) -> ApiResult<Response> {
    let partner = partners::get(&state.pool, caller.partner_sid()).await?.ok_or(ApiError::Unauthorized)?;
    p.required("login", &input.login);
    p.required("password", &input.password);
    p.required("token_scopes", &input.token_scopes);
    let prefix = format!("{}_", partner.login);
    if let Maybe::Value(l) = &input.login {
        let ok = l.len() > prefix.len()
            && l.starts_with(&prefix)
            && l.len() <= 64
            && l.chars().all(|c| c.is_ascii_alphanumeric() || "_.@+-".contains(c));
        p.check(ok, "login", &format!("must be {prefix}<sub-login> (letters, digits or _ . @ + -)"));
    }
    if let Maybe::Value(pw) = &input.password {
        validate_password(pw, "password", &mut p);
    }
    let scopes =
        input.token_scopes.value().map(|s| login_scopes(s, &partner.available_scopes, &mut p)).unwrap_or_default();
    p.finish()?;
    let row = LoginRow {
        login: input.login.value().cloned().unwrap_or_default(),
        login_sid: Some(Uuid::new_v4()),
        partner_sid: partner.partner_sid,
        token_scopes: Some(scopes),
        use_on_root_login: caller.admin && input.use_on_root_login.value().copied().unwrap_or(false),
    };
    let pw = input.password.value().cloned().unwrap_or_default();
    let hash = secrets::hash_password_async(pw).await;
    repo::insert_login(&state.pool, &row, &hash).await?;
    Ok(Json(row.to_wire(caller.admin)).into_response())
}

pub async fn list_logins(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LOGINS)?;
    let page = repo::list_logins(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|r| r.to_wire(caller.admin)), &q, &url, "login_sid")
}

/// `GET /oauth/logins/{login_sid}`: from the object cache.
pub async fn get_login(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "partner login")?;
    let t = caller.tenancy();
    let row = crate::resources::shared::cached(&state, sid, |sid| repo::login_by_sid(&state.pool, sid))
        .await?
        .filter(|r| t.admin || r.row.partner_sid == t.partner_sid)
        .ok_or_else(|| ApiError::not_found("partner login"))?;
    if caller.admin {
        return respond::object(&row.row.to_wire(true), &query);
    }
    crate::resources::shared::respond_cached(&row, &query, |r| r.to_wire(false))
}

pub async fn update_login(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<PartnerLoginInput>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "partner login")?;
    let mut tx = state.pool.begin().await?;
    let mut row = repo::get_login(&mut *tx, caller.tenancy(), sid, true)
        .await?
        .ok_or_else(|| ApiError::not_found("partner login"))?;
    let mut merged = update.merged(&row.to_wire(false), LOGIN_UPDATABLE)?;
    if merged.get("token_scopes").is_some_and(Value::is_null) {
        merged.insert("token_scopes".into(), Value::Array(Vec::new()));
    }
    let mut p = update.problems.clone();
    let input: PartnerLoginInput = parse_into(&merged, &mut p)?;
    let partner =
        partners::get(&mut *tx, row.partner_sid).await?.ok_or_else(|| ApiError::not_found("partner login"))?;
    if update.mode == UpdateMode::Put {
        p.required("password", &update.sent.password);
    }
    if let Maybe::Value(pw) = &update.sent.password {
        validate_password(pw, "password", &mut p);
    }
    let scopes =
        login_scopes(input.token_scopes.value().map(Vec::as_slice).unwrap_or(&[]), &partner.available_scopes, &mut p);
    p.finish()?;
    row.token_scopes = Some(scopes);
    if caller.admin {
        if let Maybe::Value(b) = update.sent.use_on_root_login {
            row.use_on_root_login = b;
        }
    }
    let hash = match update.sent.password.into_option() {
        Some(pw) => Some(secrets::hash_password_async(pw).await),
        None => None,
    };
    repo::save_login(&mut tx, &row, hash.as_deref()).await?;
    tx.commit().await?;
    state.auth.invalidate_partner(row.partner_sid);
    Ok(Json(row.to_wire(caller.admin)).into_response())
}

pub async fn delete_login(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw, "partner login")?;
    let mut tx = state.pool.begin().await?;
    let row = repo::get_login(&mut *tx, caller.tenancy(), sid, true)
        .await?
        .ok_or_else(|| ApiError::not_found("partner login"))?;
    repo::delete_login(&mut tx, sid).await?;
    tx.commit().await?;
    state.auth.invalidate_partner(row.partner_sid);
    Ok(respond::no_content())
}
