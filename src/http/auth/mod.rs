//! Authentication once per request (Bearer tokens, HTTP Basic with a partner's login or
//! sub-login), the scope check each route declares, and the [`Caller`] handlers receive.

pub mod cache;
pub mod repo;

pub(crate) use repo::CredentialRow;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::Utc;
use uuid::Uuid;

use crate::db::Tenancy;
use crate::domain::scopes::{Scope, ScopeSet};
use crate::domain::secrets;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Who is calling: the partner, and what the credential lets it do.
#[derive(Clone, Debug)]
pub struct Principal {
    pub partner_sid: Uuid,
    /// The partner's place in the tree: its subtree is every path starting with this one.
    pub tree_path: String,
    pub partner_login: String,
    /// The effective scopes: the credential's, within the partner's `available_scopes`.
    pub scopes: ScopeSet,
    /// The token used, for Bearer requests.
    pub token_sid: Option<Uuid>,
    /// The sub-login used (Basic with a sub-login, or a token minted through one).
    pub login_sid: Option<Uuid>,
}

/// Statuses whose partners can authenticate.
pub const USABLE_STATUSES: &[&str] = &["active", "suspended"];

/// How a route authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// Credentials required, scopes checked before the handler runs.
    Required,
    /// Credentials checked if sent; the handler authenticates otherwise (`/oauth/token`).
    Optional,
    /// No credentials (health, e-mail verification links, documents).
    Public,
}

/// What a route requires, declared beside it in the route table.
#[derive(Clone, Copy, Debug)]
pub struct RouteAuth {
    pub scopes: &'static [Scope],
    pub admin: bool,
    pub mode: AuthMode,
}

impl RouteAuth {
    /// Whether `scopes` may use this route with `method`.
    pub fn allows(&self, scopes: &ScopeSet, method: &Method) -> bool {
        if !(self.scopes.is_empty() || scopes.grants_any(self.scopes)) {
            return false;
        }
        if self.admin {
            let verb = admin_scope_for(method);
            return scopes.grants(verb);
        }
        true
    }
}

pub fn admin_scope_for(method: &Method) -> Scope {
    match *method {
        Method::GET | Method::HEAD | Method::OPTIONS => Scope::AdminRead,
        Method::POST => Scope::AdminCreate,
        Method::DELETE => Scope::AdminDelete,
        _ => Scope::AdminUpdate,
    }
}

/// The authenticated caller, as handlers receive it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Arc<Principal>,
    /// Called through `/admin/...`: sees every partner's objects.
    pub admin: bool,
}

impl Caller {
    /// The caller background work acts as: a partner and its tree (every partner's objects with
    /// `admin`, when the work was asked for through the admin routes). It holds no scopes: they
    /// were checked when the work was asked for.
    pub fn acting_for(partner_sid: Uuid, tree_path: String, admin: bool) -> Caller {
        let principal = Principal {
            partner_sid,
            tree_path,
            partner_login: String::new(),
            scopes: ScopeSet::default(),
            token_sid: None,
            login_sid: None,
        };
        Caller { principal: Arc::new(principal), admin }
    }

    pub fn partner_sid(&self) -> Uuid {
        self.principal.partner_sid
    }

    pub fn scopes(&self) -> &ScopeSet {
        &self.principal.scopes
    }

    /// Whose objects the caller may touch, as the repositories take it.
    pub fn tenancy(&self) -> Tenancy<'_> {
        Tenancy { partner_sid: self.principal.partner_sid, tree_path: &self.principal.tree_path, admin: self.admin }
    }

    /// Whether an object of the partner at `tree_path` is visible (its own tree, or admin).
    pub fn sees(&self, tree_path: &str) -> bool {
        self.tenancy().sees(tree_path)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parts.extensions.get::<Caller>().cloned().ok_or(ApiError::Unauthorized)
    }
}

/// The caller if the route authenticated one (`AuthMode::Optional`).
pub struct MaybeCaller(pub Option<Caller>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Ok(MaybeCaller(parts.extensions.get::<Caller>().cloned()))
    }
}

/// The client address: the first `X-Forwarded-For` hop, else the peer.
pub fn client_ip(headers: &HeaderMap, extensions: &axum::http::Extensions) -> Option<String> {
    if let Some(v) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        let first = v.split(',').next().unwrap_or("").trim();
        if let Ok(ip) = first.parse::<std::net::IpAddr>() {
            return Some(ip.to_string());
        }
    }
    extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// The middleware every API route runs: authenticate, check the declared scopes.
pub async fn require(State((state, route)): State<(AppState, RouteAuth)>, mut req: Request, next: Next) -> Response {
    if route.mode == AuthMode::Public {
        return next.run(req).await;
    }
    let principal = match authenticate(&state, req.headers()).await {
        Ok(Some(p)) => p,
        Ok(None) if route.mode == AuthMode::Optional => return next.run(req).await,
        Ok(None) => return ApiError::Unauthorized.into_response(),
        Err(e) => return e.into_response(),
    };
    if !route.allows(&principal.scopes, req.method()) {
        return ApiError::Forbidden.into_response();
    }
    if let Some(token_sid) = principal.token_sid {
        state.auth.touch(token_sid, client_ip(req.headers(), req.extensions()));
    }
    req.extensions_mut().insert(Caller { principal, admin: route.admin });
    next.run(req).await
}

/// Authenticates the request's `Authorization` header; `None` when there is none.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<Option<Arc<Principal>>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else { return Ok(None) };
    let value = value.to_str().map_err(|_| ApiError::Unauthorized)?.trim();
    let (scheme, rest) = value.split_once(' ').ok_or(ApiError::Unauthorized)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        bearer(state, rest).await.map(Some)
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).map_err(|_| ApiError::Unauthorized)?;
        let text = String::from_utf8(decoded).map_err(|_| ApiError::Unauthorized)?;
        let (login, password) = text.split_once(':').ok_or(ApiError::Unauthorized)?;
        basic(state, login, password).await.map(Some)
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// What a credential lets its partner do: the partner's `available_scopes`, within the token's
/// scopes and the sub-login's `token_scopes` where there are.
pub fn effective_scopes(available: ScopeSet, token: Option<ScopeSet>, login: Option<ScopeSet>) -> ScopeSet {
    let mut s = available;
    for limit in [token, login].into_iter().flatten() {
        s = s.intersect(&limit);
    }
    s
}

async fn bearer(state: &AppState, token: &str) -> Result<Arc<Principal>, ApiError> {
    if token.is_empty() || token.len() > 200 {
        return Err(ApiError::Unauthorized);
    }
    let key = cache::AuthCache::token_key(token);
    if let Some(p) = state.auth.get_token(&key) {
        return Ok(p);
    }
    let gen = state.auth.generation();
    let row = repo::token(&state.pool, &key[..]).await?;
    let row = row.ok_or(ApiError::Unauthorized)?;
    if row.date_expiration_access_token <= Utc::now() || !USABLE_STATUSES.contains(&row.status.as_str()) {
        return Err(ApiError::Unauthorized);
    }
    let scopes = effective_scopes(row.available_scopes, Some(row.scopes), row.login_token_scopes);
    let p = Arc::new(Principal {
        partner_sid: row.partner_sid,
        tree_path: row.tree_path,
        partner_login: row.login,
        scopes,
        token_sid: Some(row.token_sid),
        login_sid: row.login_sid,
    });
    state.auth.put_token(key, p.clone(), row.date_expiration_access_token, gen);
    Ok(p)
}

/// Checks a login and password (a partner's login or a sub-login) with argon2, off the async
/// threads. Unknown logins cost the same time as wrong passwords.
pub(crate) async fn check_password(state: &AppState, login: &str, password: &str) -> Result<CredentialRow, ApiError> {
    if login.is_empty() || password.is_empty() || login.len() > 200 || password.len() > 1024 {
        return Err(ApiError::Unauthorized);
    }
    let row = repo::credential(&state.pool, login).await?;
    let hash = row.as_ref().map(|r| r.password_hash.clone()).unwrap_or_else(|| secrets::dummy_hash().to_owned());
    let password = password.to_owned();
    // Counted (`password_verifications_total` at `GET /metrics`): a cached or refused credential
    // is seen to cost no argon2.
    metrics::counter!("password_verifications_total").increment(1);
    let ok = secrets::verify_password_async(password, hash).await;
    match row {
        Some(r) if ok && USABLE_STATUSES.contains(&r.status.as_str()) => Ok(r),
        _ => Err(ApiError::Unauthorized),
    }
}

async fn basic(state: &AppState, login: &str, password: &str) -> Result<Arc<Principal>, ApiError> {
    if login.is_empty() || password.is_empty() {
        return Err(ApiError::Unauthorized);
    }
    let key = state.auth.basic_key(login, password);
    if let Some(p) = state.auth.get_basic(&key) {
        return Ok(p);
    }
    let cell = state.auth.inflight(key);
    let result = cell
        .get_or_try_init(|| async {
            let gen = state.auth.generation();
            let row = match check_password(state, login, password).await {
                Ok(row) => row,
                Err(ApiError::Unauthorized) => return Ok(None),
                Err(e) => return Err(e),
            };
            let scopes = effective_scopes(row.available_scopes, None, row.token_scopes);
            let p = Arc::new(Principal {
                partner_sid: row.partner_sid,
                tree_path: row.tree_path,
                partner_login: row.partner_login,
                scopes,
                token_sid: None,
                login_sid: row.login_sid,
            });
            state.auth.put_basic(key, p.clone(), gen);
            Ok(Some(p))
        })
        .await
        .cloned();
    state.auth.done(&key, &cell);
    result?.ok_or(ApiError::Unauthorized)
}
