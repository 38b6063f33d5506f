use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{OAuthToken, PartnerLogin};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::scopes::ScopeSet;
use crate::domain::secrets;

/// Lifetime of tokens whose request sets none (the reference's samples: a hundred years).
pub fn default_lifetime() -> Duration {
    Duration::days(36_500)
}

pub const TOKEN_COLUMNS: &str =
    "t.id, t.token_sid, t.partner_sid, t.client_id, t.access_token, t.refresh_token, t.name, \
    t.scopes, t.login_sid, t.partner_login, t.visibility, t.date_created, t.date_expiration_access_token, \
    t.date_expiration_refresh_token, t.date_last_accessed, t.ip_last_accessed, t.date_last_modified";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub token_sid: Uuid,
    pub partner_sid: Uuid,
    pub client_id: String,
    pub access_token: String,
    pub refresh_token: String,
    pub name: Option<String>,
    pub scopes: ScopeSet,
    pub login_sid: Option<Uuid>,
    pub partner_login: Option<String>,
    pub visibility: String,
    pub date_created: DateTime<Utc>,
    pub date_expiration_access_token: DateTime<Utc>,
    pub date_expiration_refresh_token: DateTime<Utc>,
    pub date_last_accessed: Option<DateTime<Utc>>,
    pub ip_last_accessed: Option<String>,
    pub date_last_modified: DateTime<Utc>,
}

impl TokenRow {
    pub fn to_wire(&self, admin: bool) -> OAuthToken {
        let scopes = self.scopes;
        OAuthToken {
            access_token: self.access_token.clone(),
            client_id: self.client_id.clone(),
            date_created: self.date_created.into(),
            date_expiration_access_token: self.date_expiration_access_token.into(),
            date_expiration_refresh_token: self.date_expiration_refresh_token.into(),
            date_last_accessed: self.date_last_accessed.map(Into::into),
            date_last_modified: admin.then(|| self.date_last_modified.into()),
            id: admin.then_some(self.id),
            ip_last_accessed: self.ip_last_accessed.clone(),
            name: self.name.clone(),
            partner: None,
            partner_login: if admin { Some(self.partner_login.clone().unwrap_or_default()) } else { None },
            partner_sid: self.partner_sid,
            refresh_token: self.refresh_token.clone(),
            scopes,
            token_sid: self.token_sid,
            token_type: "bearer",
            visibility: admin.then(|| self.visibility.clone()),
        }
    }
}

pub const TOKENS: ListSpec = ListSpec {
    fields: &[
        Field::new("access_token", "t.access_token", T::Text),
        Field::new("client_id", "t.client_id", T::Text),
        Field::new("date_created", "t.date_created", T::Timestamp),
        Field::new("date_expiration_access_token", "t.date_expiration_access_token", T::Timestamp),
        Field::new("date_expiration_refresh_token", "t.date_expiration_refresh_token", T::Timestamp),
        Field::new("date_last_accessed", "t.date_last_accessed", T::Timestamp),
        Field::new("ip_last_accessed", "t.ip_last_accessed", T::Text),
        Field::new("name", "t.name", T::Text),
        Field::new("partner_sid", "t.partner_sid", T::Uuid),
        Field::new("refresh_token", "t.refresh_token", T::Text),
        Field::new("scopes", "t.scopes", T::TextArray),
        Field::new("token_sid", "t.token_sid", T::Uuid),
        Field::new("token_type", "'bearer'::text", T::Text),
    ],
    sid: "t.token_sid",
    default_order: "t.id",
    default_limit: 10,
    total: false,
    keyset: None,
};

/// The tokens a caller sees: its own; with `oauth.manage_all_tokens` also its sub-partners';
/// every token through the admin routes. Only active tokens (the refresh token still valid).
fn push_token_scope(qb: &mut listing::Qb<'_>, t: Tenancy<'_>, all_in_tree: bool) {
    qb.push(" AND t.date_expiration_refresh_token > now()");
    if t.admin {
        return;
    }
    qb.push(" AND t.visibility = 'common'");
    if all_in_tree {
        listing::push_in_tree(qb, "t.partner_sid", t.subtree_pattern());
    } else {
        qb.push(" AND t.partner_sid = ").push_bind(t.partner_sid);
    }
}

pub async fn list_tokens<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    all_in_tree: bool,
    q: &ListQuery,
) -> RepoResult<Page<TokenRow>> {
    listing::fetch::<TokenRow, _>(db, &TOKENS, q, TOKEN_COLUMNS, "oauth_tokens t", &|qb| {
        push_token_scope(qb, t, all_in_tree)
    })
    .await
}

pub async fn get_token(
    db: &mut PgConnection,
    t: Tenancy<'_>,
    all_in_tree: bool,
    sid: Uuid,
    lock: bool,
) -> RepoResult<Option<TokenRow>> {
    let mut qb = listing::Qb::new(format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens t WHERE t.token_sid = "));
    qb.push_bind(sid);
    push_token_scope(&mut qb, t, all_in_tree);
    if lock {
        qb.push(" FOR UPDATE OF t");
    }
    Ok(qb.build_query_as::<TokenRow>().fetch_optional(db).await?)
}

/// A token with its partner's place in the tree, as the object cache keeps it (who may see it is
/// decided on each read: its expiry moves with the clock).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenEntry {
    #[sqlx(flatten)]
    pub token: TokenRow,
    pub tree_path: String,
}

impl crate::cache::Cacheable for TokenEntry {
    const TABLE: &'static str = "oauth_tokens";
}

impl TokenEntry {
    /// Whether `t` sees the token: an unexpired one; of its own partner, or of its tree with
    /// `all_in_tree`; `common` ones only unless admin (as `push_token_scope`).
    pub fn visible_to(&self, t: Tenancy<'_>, all_in_tree: bool) -> bool {
        let token = &self.token;
        if token.date_expiration_refresh_token <= chrono::Utc::now() {
            return false;
        }
        t.admin
            || (token.visibility == "common"
                && if all_in_tree { t.sees(&self.tree_path) } else { token.partner_sid == t.partner_sid })
    }
}

/// A token by secure ID, whoever may see it.
pub async fn token_by_sid<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<TokenEntry>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS}, COALESCE(p.tree_path, '') AS tree_path
           FROM oauth_tokens t LEFT JOIN partners p ON p.partner_sid = t.partner_sid
          WHERE t.token_sid = $1"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

pub struct NewToken {
    pub partner_sid: Uuid,
    pub client_id: String,
    pub name: Option<String>,
    pub scopes: ScopeSet,
    pub login_sid: Option<Uuid>,
    pub partner_login: Option<String>,
    pub access_lifetime: Duration,
    pub refresh_lifetime: Duration,
    /// A given access token (bootstrap's `CARRIERX_ROOT_TOKEN`), else a random one.
    pub access_token: Option<String>,
}

pub async fn insert_token<'e>(db: impl PgExecutor<'e>, t: NewToken) -> RepoResult<TokenRow> {
    let access = t.access_token.unwrap_or_else(secrets::random_token);
    let refresh = secrets::random_token();
    let now = Utc::now();
    let row = sqlx::query_as(&format!(
        "INSERT INTO oauth_tokens AS t (token_sid, partner_sid, client_id, access_token, access_token_hash, refresh_token,
             refresh_token_hash, name, scopes, login_sid, partner_login, date_expiration_access_token, date_expiration_refresh_token)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, date_trunc('milliseconds', $12::timestamptz), date_trunc('milliseconds', $13::timestamptz))
         RETURNING {TOKEN_COLUMNS}"
    ))
    .bind(Uuid::new_v4())
    .bind(t.partner_sid)
    .bind(&t.client_id)
    .bind(&access)
    .bind(&secrets::sha256(access.as_bytes())[..])
    .bind(&refresh)
    .bind(&secrets::sha256(refresh.as_bytes())[..])
    .bind(&t.name)
    .bind(t.scopes)
    .bind(t.login_sid)
    .bind(&t.partner_login)
    .bind(now + t.access_lifetime)
    .bind(now + t.refresh_lifetime)
    .fetch_one(db)
    .await?;
    Ok(row)
}

pub async fn find_by_refresh(db: &mut PgConnection, refresh: &str) -> RepoResult<Option<TokenRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {TOKEN_COLUMNS} FROM oauth_tokens t WHERE t.refresh_token_hash = $1 FOR UPDATE"
    ))
    .bind(&secrets::sha256(refresh.as_bytes())[..])
    .fetch_optional(db)
    .await?)
}

pub async fn find_by_access(db: &mut PgConnection, access: &str) -> RepoResult<Option<TokenRow>> {
    Ok(sqlx::query_as(&format!("SELECT {TOKEN_COLUMNS} FROM oauth_tokens t WHERE t.access_token_hash = $1"))
        .bind(&secrets::sha256(access.as_bytes())[..])
        .fetch_optional(db)
        .await?)
}

pub async fn save_token(db: &mut PgConnection, t: &TokenRow) -> RepoResult<TokenRow> {
    Ok(sqlx::query_as(&format!(
        "UPDATE oauth_tokens t SET name = $2, scopes = $3,
                date_expiration_access_token = date_trunc('milliseconds', $4::timestamptz),
                date_expiration_refresh_token = date_trunc('milliseconds', $5::timestamptz),
                date_last_modified = date_trunc('milliseconds', now())
          WHERE t.token_sid = $1 RETURNING {TOKEN_COLUMNS}"
    ))
    .bind(t.token_sid)
    .bind(&t.name)
    .bind(t.scopes)
    .bind(t.date_expiration_access_token)
    .bind(t.date_expiration_refresh_token)
    .fetch_one(db)
    .await?)
}

pub async fn delete_token<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM oauth_tokens WHERE token_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

/// The client's secret hash, if the client exists.
pub async fn client_secret_hash<'e>(db: impl PgExecutor<'e>, client_id: &str) -> RepoResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT client_secret_hash FROM oauth_clients WHERE client_id = $1")
        .bind(client_id)
        .fetch_optional(db)
        .await?)
}

/// Whether the client exists.
pub async fn client_exists<'e>(db: impl PgExecutor<'e>, client_id: &str) -> RepoResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $1)")
        .bind(client_id)
        .fetch_one(db)
        .await?)
}

/// Inserts a client.
pub async fn insert_client<'e>(db: impl PgExecutor<'e>, client_id: &str, secret_hash: &str) -> RepoResult<()> {
    sqlx::query("INSERT INTO oauth_clients (client_id, client_secret_hash) VALUES ($1, $2)")
        .bind(client_id)
        .bind(secret_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Inserts a client unless one with its id exists (which keeps its secret).
pub async fn insert_client_if_absent<'e>(
    db: impl PgExecutor<'e>,
    client_id: &str,
    secret_hash: &str,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO oauth_clients (client_id, client_secret_hash) VALUES ($1, $2) ON CONFLICT (client_id) DO NOTHING",
    )
    .bind(client_id)
    .bind(secret_hash)
    .execute(db)
    .await?;
    Ok(())
}

/// The first client made (bootstrap's); an error when there is none.
pub async fn first_client_id<'e>(db: impl PgExecutor<'e>) -> RepoResult<String> {
    Ok(sqlx::query_scalar("SELECT client_id FROM oauth_clients ORDER BY date_created, client_id LIMIT 1")
        .fetch_one(db)
        .await?)
}

// ---- partner logins ----

pub const LOGIN_COLUMNS: &str = "c.login, c.login_sid, c.partner_sid, c.token_scopes, c.use_on_root_login";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LoginRow {
    pub login: String,
    pub login_sid: Option<Uuid>,
    pub partner_sid: Uuid,
    pub token_scopes: Option<Vec<String>>,
    pub use_on_root_login: bool,
}

impl LoginRow {
    pub fn to_wire(&self, admin: bool) -> PartnerLogin {
        let mut scopes = self.token_scopes.clone().unwrap_or_default();
        scopes.sort();
        PartnerLogin {
            login: self.login.clone(),
            login_sid: self.login_sid.unwrap_or_default(),
            partner_sid: self.partner_sid,
            token_scopes: scopes,
            use_on_root_login: admin.then_some(self.use_on_root_login),
        }
    }
}

pub const LOGINS: ListSpec = ListSpec {
    fields: &[
        Field::new("login", "c.login", T::Text),
        Field::new("login_sid", "c.login_sid", T::Uuid),
        Field::new("partner_sid", "c.partner_sid", T::Uuid),
        Field::new("token_scopes", "c.token_scopes", T::TextArray),
    ],
    sid: "c.login_sid",
    default_order: "c.date_created",
    default_limit: 10,
    total: true,
    keyset: None,
};

fn push_login_scope(qb: &mut listing::Qb<'_>, t: Tenancy<'_>) {
    qb.push(" AND c.login_sid IS NOT NULL");
    if !t.admin {
        qb.push(" AND c.partner_sid = ").push_bind(t.partner_sid);
    }
}

pub async fn list_logins<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<LoginRow>> {
    listing::fetch::<LoginRow, _>(db, &LOGINS, q, LOGIN_COLUMNS, "credentials c", &|qb| push_login_scope(qb, t)).await
}

pub async fn get_login<'e>(
    db: impl PgExecutor<'e>,
    t: Tenancy<'_>,
    sid: Uuid,
    lock: bool,
) -> RepoResult<Option<LoginRow>> {
    let mut qb = listing::Qb::new(format!("SELECT {LOGIN_COLUMNS} FROM credentials c WHERE c.login_sid = "));
    qb.push_bind(sid);
    push_login_scope(&mut qb, t);
    if lock {
        qb.push(" FOR UPDATE");
    }
    Ok(qb.build_query_as::<LoginRow>().fetch_optional(db).await?)
}

impl crate::cache::Cacheable for LoginRow {
    const TABLE: &'static str = "credentials";
}

/// A partner login by secure ID, whoever may see it.
pub async fn login_by_sid<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<LoginRow>> {
    Ok(sqlx::query_as(&format!("SELECT {LOGIN_COLUMNS} FROM credentials c WHERE c.login_sid = $1"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

pub async fn insert_login<'e>(db: impl PgExecutor<'e>, row: &LoginRow, password_hash: &str) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO credentials (login, partner_sid, login_sid, password_hash, token_scopes, use_on_root_login)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&row.login)
    .bind(row.partner_sid)
    .bind(row.login_sid)
    .bind(password_hash)
    .bind(&row.token_scopes)
    .bind(row.use_on_root_login)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn save_login(db: &mut PgConnection, row: &LoginRow, password_hash: Option<&str>) -> RepoResult<()> {
    sqlx::query(
        "UPDATE credentials SET token_scopes = $2, use_on_root_login = $3, password_hash = COALESCE($4, password_hash)
          WHERE login_sid = $1",
    )
    .bind(row.login_sid)
    .bind(&row.token_scopes)
    .bind(row.use_on_root_login)
    .bind(password_hash)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes a sub-login and the tokens minted through it.
pub async fn delete_login(db: &mut PgConnection, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM oauth_tokens WHERE login_sid = $1").bind(sid).execute(&mut *db).await?;
    sqlx::query("DELETE FROM credentials WHERE login_sid = $1").bind(sid).execute(&mut *db).await?;
    Ok(())
}
