//! The SQL of authentication: a token or a login with its partner, and the tokens' last use.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::db::RepoResult;
use crate::domain::scopes::ScopeSet;

/// A token with what its partner (and sub-login) allow.
#[derive(sqlx::FromRow)]
pub struct TokenAuthRow {
    pub token_sid: Uuid,
    pub partner_sid: Uuid,
    pub scopes: ScopeSet,
    pub date_expiration_access_token: DateTime<Utc>,
    pub login_sid: Option<Uuid>,
    pub tree_path: String,
    pub login: String,
    pub available_scopes: ScopeSet,
    pub status: String,
    pub login_token_scopes: Option<ScopeSet>,
}

/// The token whose access token hashes to `hash`.
pub async fn token<'e>(db: impl PgExecutor<'e>, hash: &[u8]) -> RepoResult<Option<TokenAuthRow>> {
    Ok(sqlx::query_as(
        "SELECT t.token_sid, t.partner_sid, t.scopes, t.date_expiration_access_token, t.login_sid,
                p.tree_path, p.login, p.available_scopes, p.status, c.token_scopes AS login_token_scopes
           FROM oauth_tokens t
           JOIN partners p ON p.partner_sid = t.partner_sid
           LEFT JOIN credentials c ON c.login_sid = t.login_sid
          WHERE t.access_token_hash = $1",
    )
    .bind(hash)
    .fetch_optional(db)
    .await?)
}

/// A login (a partner's own or a sub-login) with its password hash and partner.
#[derive(sqlx::FromRow)]
pub struct CredentialRow {
    pub partner_sid: Uuid,
    pub login_sid: Option<Uuid>,
    pub password_hash: String,
    pub token_scopes: Option<ScopeSet>,
    pub tree_path: String,
    pub partner_login: String,
    pub available_scopes: ScopeSet,
    pub status: String,
}

pub async fn credential<'e>(db: impl PgExecutor<'e>, login: &str) -> RepoResult<Option<CredentialRow>> {
    Ok(sqlx::query_as(
        "SELECT c.partner_sid, c.login_sid, c.password_hash, c.token_scopes,
                p.tree_path, p.login AS partner_login, p.available_scopes, p.status
           FROM credentials c JOIN partners p ON p.partner_sid = c.partner_sid
          WHERE c.login = $1",
    )
    .bind(login)
    .fetch_optional(db)
    .await?)
}

/// Writes the tokens' pending `date_last_accessed`/`ip_last_accessed` in one statement (a token
/// keeps its latest use).
pub async fn record_last_access<'e>(
    db: impl PgExecutor<'e>,
    sids: &[Uuid],
    dates: &[DateTime<Utc>],
    ips: &[Option<String>],
) -> RepoResult<()> {
    sqlx::query(
        "UPDATE oauth_tokens t SET date_last_accessed = date_trunc('milliseconds', v.d), ip_last_accessed = COALESCE(v.ip, t.ip_last_accessed)
           FROM unnest($1::uuid[], $2::timestamptz[], $3::text[]) AS v(sid, d, ip)
          WHERE t.token_sid = v.sid AND (t.date_last_accessed IS NULL OR t.date_last_accessed < v.d)",
    )
    .bind(sids)
    .bind(dates)
    .bind(ips)
    .execute(db)
    .await?;
    Ok(())
}
