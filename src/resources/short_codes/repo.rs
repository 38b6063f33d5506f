//! Short codes: all their SQL.

use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::ShortCode;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::json::sorted;

const COLUMNS: &str = "s.short_code_sid, s.partner_sid, s.short_code, s.name, s.attributes, s.callback_url, \
    s.country_code, s.state, s.locality, s.lrn_sid, s.did_group_sid, s.string_key_1, s.string_key_2, p.tree_path";
const FROM: &str = "short_codes s JOIN partners p ON p.partner_sid = s.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShortCodeRow {
    pub short_code_sid: Uuid,
    pub partner_sid: Uuid,
    pub short_code: String,
    pub name: String,
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub country_code: Option<String>,
    pub state: Option<String>,
    pub locality: Option<String>,
    pub lrn_sid: Option<Uuid>,
    pub did_group_sid: Option<Uuid>,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub tree_path: String,
}

impl ShortCodeRow {
    pub fn to_wire(&self) -> ShortCode {
        ShortCode {
            attributes: sorted(&self.attributes),
            callback_url: self.callback_url.clone(),
            country_code: self.country_code.clone(),
            did_group_sid: self.did_group_sid,
            locality: self.locality.clone(),
            lrn_sid: self.lrn_sid,
            name: self.name.clone(),
            partner: None,
            partner_sid: self.partner_sid,
            short_code: self.short_code.clone(),
            short_code_sid: self.short_code_sid,
            state: self.state.clone(),
            string_key_1: self.string_key_1.clone(),
            string_key_2: self.string_key_2.clone(),
        }
    }
}

crate::resources::shared::owned_rows!(ShortCodeRow);
crate::resources::shared::cached_rows!(ShortCodeRow => "short_codes");

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("attributes", "s.attributes", T::Json),
        Field::new("callback_url", "s.callback_url", T::Text),
        Field::new("country_code", "s.country_code", T::Text),
        Field::new("did_group_sid", "s.did_group_sid", T::Uuid),
        Field::new("locality", "s.locality", T::Text),
        Field::new("lrn_sid", "s.lrn_sid", T::Uuid),
        Field::new("name", "s.name", T::Text),
        Field::new("partner_sid", "s.partner_sid", T::Uuid),
        Field::new("short_code", "s.short_code", T::Text),
        Field::new("short_code_sid", "s.short_code_sid", T::Uuid),
        Field::new("state", "s.state", T::Text),
        Field::new("string_key_1", "s.string_key_1", T::Text),
        Field::new("string_key_2", "s.string_key_2", T::Text),
    ],
    sid: "s.short_code_sid",
    default_order: "s.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<ShortCodeRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<ShortCodeRow, _>(db, &LIST, q, COLUMNS, FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<ShortCodeRow>> {
    let lock = if lock { " FOR UPDATE OF s" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE s.short_code_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// Saves what a partner may change.
pub async fn update(db: &mut PgConnection, s: &ShortCodeRow) -> RepoResult<()> {
    sqlx::query(
        "UPDATE short_codes SET name = $2, attributes = $3, callback_url = $4, did_group_sid = $5,
                string_key_1 = $6, string_key_2 = $7 WHERE short_code_sid = $1",
    )
    .bind(s.short_code_sid)
    .bind(&s.name)
    .bind(&s.attributes)
    .bind(&s.callback_url)
    .bind(s.did_group_sid)
    .bind(&s.string_key_1)
    .bind(&s.string_key_2)
    .execute(db)
    .await?;
    Ok(())
}

/// Inserts new short codes (one statement); the taken codes or SIDs are a conflict.
pub async fn insert(db: &mut PgConnection, rows: &[ShortCodeRow]) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO short_codes (short_code_sid, partner_sid, short_code, name, attributes, callback_url, country_code,
                                  state, locality, did_group_sid, string_key_1, string_key_2)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::text[], $7::text[],
                              $8::text[], $9::text[], $10::uuid[], $11::text[], $12::text[])",
    )
    .bind(rows.iter().map(|r| r.short_code_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.partner_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.short_code.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.name.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.attributes.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.callback_url.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.country_code.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.state.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.locality.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.did_group_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.string_key_1.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.string_key_2.clone()).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}

/// Which of `codes` (or of `sids`) are taken already.
pub async fn taken<'e>(db: impl PgExecutor<'e>, codes: &[String], sids: &[Uuid]) -> RepoResult<Vec<(String, Uuid)>> {
    Ok(sqlx::query_as(
        "SELECT short_code, short_code_sid FROM short_codes WHERE short_code = ANY($1) OR short_code_sid = ANY($2)",
    )
    .bind(codes)
    .bind(sids)
    .fetch_all(db)
    .await?)
}

pub async fn get_many(db: &mut PgConnection, sids: &[Uuid]) -> RepoResult<Vec<ShortCodeRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE s.short_code_sid = ANY($1) ORDER BY s.id"))
        .bind(sids)
        .fetch_all(db)
        .await?)
}

/// The short codes among `codes`, as messaging reads a number (they send and receive SMS and MMS).
pub async fn as_numbers<'e>(
    db: impl PgExecutor<'e>,
    codes: &[String],
) -> RepoResult<Vec<crate::resources::dids::repo::RentedNumber>> {
    Ok(sqlx::query_as(
        "SELECT s.short_code_sid AS did_sid, s.short_code AS phonenumber, s.partner_sid, 27 AS capabilities,
                NULL::uuid AS trunk_group_sid, '[]'::jsonb AS transformations, p.tree_path, true AS short_code
           FROM short_codes s JOIN partners p ON p.partner_sid = s.partner_sid
          WHERE s.short_code = ANY($1) AND p.status <> 'deleted'",
    )
    .bind(codes)
    .fetch_all(db)
    .await?)
}

/// The first short code of a DID group, if any.
pub async fn in_group<'e>(db: impl PgExecutor<'e>, group: Uuid) -> RepoResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT short_code FROM short_codes WHERE did_group_sid = $1 ORDER BY id LIMIT 1")
        .bind(group)
        .fetch_optional(db)
        .await?)
}
