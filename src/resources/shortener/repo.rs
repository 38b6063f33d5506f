//! Shortener domains and links: all their SQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Domain, Link};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;

const DOMAIN_COLUMNS: &str = "d.domain_sid, d.partner_sid, d.domain_name, d.expired_mode, d.expired_page, \
    d.expired_status_code, d.minimum_length, d.not_found_mode, d.not_found_page, d.not_found_status_code, d.scope, \
    d.secure, d.suffix_pattern, p.tree_path";
const DOMAIN_FROM: &str = "shortener_domains d JOIN partners p ON p.partner_sid = d.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DomainRow {
    pub domain_sid: Uuid,
    pub partner_sid: Uuid,
    pub domain_name: String,
    pub expired_mode: String,
    pub expired_page: Option<String>,
    pub expired_status_code: Option<i32>,
    pub minimum_length: i32,
    pub not_found_mode: String,
    pub not_found_page: Option<String>,
    pub not_found_status_code: Option<i32>,
    pub scope: String,
    pub secure: String,
    pub suffix_pattern: Option<String>,
    pub tree_path: String,
}

impl DomainRow {
    pub fn to_wire(&self) -> Domain {
        Domain {
            domain_name: self.domain_name.clone(),
            domain_sid: self.domain_sid,
            expired_mode: self.expired_mode.clone(),
            expired_page: self.expired_page.clone(),
            expired_status_code: self.expired_status_code,
            minimum_length: self.minimum_length,
            not_found_mode: self.not_found_mode.clone(),
            not_found_page: self.not_found_page.clone(),
            not_found_status_code: self.not_found_status_code,
            partner_sid: self.partner_sid,
            scope: self.scope.clone(),
            secure: self.secure.clone(),
            suffix_pattern: self.suffix_pattern.clone(),
        }
    }

    /// The short URL of `short_name` on this domain.
    pub fn url(&self, short_name: &str) -> String {
        let scheme = if self.secure == "required" { "https" } else { "http" };
        format!("{scheme}://{}/{short_name}", self.domain_name)
    }
}

pub const DOMAIN_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("domain_name", "d.domain_name", T::Text),
        Field::new("domain_sid", "d.domain_sid", T::Uuid),
        Field::new("expired_mode", "d.expired_mode", T::Text),
        Field::new("expired_page", "d.expired_page", T::Text),
        Field::new("expired_status_code", "d.expired_status_code", T::Int),
        Field::new("minimum_length", "d.minimum_length", T::Int),
        Field::new("not_found_mode", "d.not_found_mode", T::Text),
        Field::new("not_found_page", "d.not_found_page", T::Text),
        Field::new("not_found_status_code", "d.not_found_status_code", T::Int),
        Field::new("partner_sid", "d.partner_sid", T::Uuid),
        Field::new("scope", "d.scope", T::Text),
        Field::new("secure", "d.secure", T::Text),
        Field::new("suffix_pattern", "d.suffix_pattern", T::Text),
    ],
    sid: "d.domain_sid",
    default_order: "d.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_domains<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<DomainRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<DomainRow, _>(db, &DOMAIN_LIST, q, DOMAIN_COLUMNS, DOMAIN_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_domain<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<DomainRow>> {
    let lock = if lock { " FOR UPDATE OF d" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM {DOMAIN_FROM} WHERE d.domain_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// The domain answering for a host name (the redirect service).
pub async fn domain_by_name<'e>(db: impl PgExecutor<'e>, name: &str) -> RepoResult<Option<DomainRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {DOMAIN_COLUMNS} FROM {DOMAIN_FROM} WHERE d.domain_name = $1 AND p.status <> 'deleted'"
    ))
    .bind(name)
    .fetch_optional(db)
    .await?)
}

pub async fn upsert_domain(db: &mut PgConnection, d: &DomainRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO shortener_domains (domain_sid, partner_sid, domain_name, expired_mode, expired_page,
             expired_status_code, minimum_length, not_found_mode, not_found_page, not_found_status_code, scope, secure,
             suffix_pattern)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (domain_sid) DO UPDATE SET domain_name = $3, expired_mode = $4, expired_page = $5,
             expired_status_code = $6, minimum_length = $7, not_found_mode = $8, not_found_page = $9,
             not_found_status_code = $10, scope = $11, secure = $12, suffix_pattern = $13",
    )
    .bind(d.domain_sid)
    .bind(d.partner_sid)
    .bind(&d.domain_name)
    .bind(&d.expired_mode)
    .bind(&d.expired_page)
    .bind(d.expired_status_code)
    .bind(d.minimum_length)
    .bind(&d.not_found_mode)
    .bind(&d.not_found_page)
    .bind(d.not_found_status_code)
    .bind(&d.scope)
    .bind(&d.secure)
    .bind(&d.suffix_pattern)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes a domain and every link on it.
pub async fn delete_domain<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM shortener_domains WHERE domain_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

const LINK_COLUMNS: &str = "l.link_sid, l.partner_sid, l.domain_sid, l.destination_url, l.short_name, l.maximum_ttl, \
    l.mode, l.hits, l.date_accessed, l.date_created, d.domain_name, d.secure, p.tree_path";
const LINK_FROM: &str = "shortener_links l JOIN shortener_domains d ON d.domain_sid = l.domain_sid \
    JOIN partners p ON p.partner_sid = l.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LinkRow {
    pub link_sid: Uuid,
    pub partner_sid: Uuid,
    pub domain_sid: Uuid,
    pub destination_url: String,
    pub short_name: String,
    pub maximum_ttl: i32,
    pub mode: String,
    pub hits: i64,
    pub date_accessed: Option<DateTime<Utc>>,
    pub date_created: DateTime<Utc>,
    pub domain_name: String,
    pub secure: String,
    pub tree_path: String,
}

impl LinkRow {
    pub fn to_wire(&self) -> Link {
        let scheme = if self.secure == "required" { "https" } else { "http" };
        Link {
            date_accessed: self.date_accessed.map(Into::into),
            date_created: self.date_created.into(),
            destination_url: self.destination_url.clone(),
            domain_sid: self.domain_sid,
            hits: self.hits,
            link_sid: self.link_sid,
            maximum_ttl: self.maximum_ttl,
            mode: self.mode.clone(),
            partner_sid: self.partner_sid,
            short_name: self.short_name.clone(),
            url: format!("{scheme}://{}/{}", self.domain_name, self.short_name),
        }
    }

    /// Whether the link has outlived its `maximum_ttl` at `now`.
    pub fn expired(&self, now: DateTime<Utc>) -> bool {
        self.maximum_ttl >= 0 && now >= self.date_created + chrono::Duration::seconds(self.maximum_ttl as i64)
    }
}

crate::resources::shared::owned_rows!(DomainRow, LinkRow);
crate::resources::shared::cached_rows!(DomainRow => "shortener_domains", LinkRow => "shortener_links");

pub const LINK_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("date_accessed", "l.date_accessed", T::Timestamp),
        Field::new("date_created", "l.date_created", T::Timestamp),
        Field::new("destination_url", "l.destination_url", T::Text),
        Field::new("domain_sid", "l.domain_sid", T::Uuid),
        Field::new("hits", "l.hits", T::Int),
        Field::new("link_sid", "l.link_sid", T::Uuid),
        Field::new("maximum_ttl", "l.maximum_ttl", T::Int),
        Field::new("mode", "l.mode", T::Text),
        Field::new("partner_sid", "l.partner_sid", T::Uuid),
        Field::new("short_name", "l.short_name", T::Text),
    ],
    sid: "l.link_sid",
    default_order: "l.id",
    default_limit: 1000,
    total: false,
    keyset: None,
};

pub async fn list_links<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<LinkRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<LinkRow, _>(db, &LINK_LIST, q, LINK_COLUMNS, LINK_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_link<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<LinkRow>> {
    let lock = if lock { " FOR UPDATE OF l" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_FROM} WHERE l.link_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// The link of a domain by its short name (the redirect service).
pub async fn link_by_name<'e>(db: impl PgExecutor<'e>, domain: Uuid, short_name: &str) -> RepoResult<Option<LinkRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_FROM} WHERE l.domain_sid = $1 AND l.short_name = $2 AND p.status <> 'deleted'"
    ))
    .bind(domain)
    .bind(short_name)
    .fetch_optional(db)
    .await?)
}

/// `?reuse=true`: the partner's latest link to `destination` on `domain`.
pub async fn reusable<'e>(
    db: impl PgExecutor<'e>,
    partner: Uuid,
    domain: Uuid,
    destination: &str,
) -> RepoResult<Option<LinkRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {LINK_COLUMNS} FROM {LINK_FROM}
          WHERE l.partner_sid = $1 AND l.domain_sid = $2 AND l.destination_url = $3 ORDER BY l.id DESC LIMIT 1"
    ))
    .bind(partner)
    .bind(domain)
    .bind(destination)
    .fetch_optional(db)
    .await?)
}

/// Inserts a link, or saves what may change of one; `false` when its short name is taken on its
/// domain.
pub async fn save_link(db: &mut PgConnection, l: &LinkRow) -> RepoResult<bool> {
    let done = sqlx::query(
        "INSERT INTO shortener_links (link_sid, partner_sid, domain_sid, destination_url, short_name, maximum_ttl, mode,
             date_created)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (link_sid) DO UPDATE SET destination_url = $4, short_name = $5, maximum_ttl = $6, mode = $7
         WHERE NOT EXISTS (SELECT 1 FROM shortener_links x
                            WHERE x.domain_sid = $3 AND x.short_name = $5 AND x.link_sid <> $1)",
    )
    .bind(l.link_sid)
    .bind(l.partner_sid)
    .bind(l.domain_sid)
    .bind(&l.destination_url)
    .bind(&l.short_name)
    .bind(l.maximum_ttl)
    .bind(&l.mode)
    .bind(l.date_created)
    .execute(db)
    .await;
    match done {
        Ok(r) => Ok(r.rows_affected() == 1),
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("shortener_links_domain_sid_short_name_key") => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_link<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM shortener_links WHERE link_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

/// Adds counted hits (link, hits, last access) in one statement.
pub async fn add_hits<'e>(db: impl PgExecutor<'e>, hits: &[(Uuid, i64, DateTime<Utc>)]) -> RepoResult<()> {
    sqlx::query(
        "UPDATE shortener_links l SET hits = l.hits + x.n, date_accessed = GREATEST(l.date_accessed, x.at)
           FROM unnest($1::uuid[], $2::bigint[], $3::timestamptz[]) AS x(sid, n, at)
          WHERE l.link_sid = x.sid",
    )
    .bind(hits.iter().map(|h| h.0).collect::<Vec<_>>())
    .bind(hits.iter().map(|h| h.1).collect::<Vec<_>>())
    .bind(hits.iter().map(|h| h.2).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}
