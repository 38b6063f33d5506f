use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Kind, LrnPrefix, Prefix};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::json::sorted;

const COLUMNS: &str = "x.prefix_sid, x.partner_sid, x.prefix, x.name, x.attributes, x.callback_url, x.lrn_sid, \
    x.source_trunk_group_sid, x.trunk_group_sid, x.string_key_1, x.string_key_2, x.transformations, p.tree_path, x.version, \
    x.kind";
const FROM: &str = "prefixes x JOIN partners p ON p.partner_sid = x.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PrefixRow {
    pub prefix_sid: Uuid,
    pub partner_sid: Uuid,
    pub prefix: String,
    pub name: String,
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub lrn_sid: Option<Uuid>,
    pub source_trunk_group_sid: Option<Uuid>,
    pub trunk_group_sid: Option<Uuid>,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub transformations: Value,
    pub tree_path: String,
    pub version: i32,
    /// `routing` or `lrn` (`types::Kind`).
    pub kind: String,
}

impl PrefixRow {
    pub fn to_wire(&self) -> Prefix {
        Prefix {
            attributes: sorted(&self.attributes),
            callback_url: self.callback_url.clone(),
            lrn_sid: self.lrn_sid,
            name: self.name.clone(),
            partner: None,
            partner_sid: self.partner_sid,
            prefix: self.prefix.clone(),
            prefix_sid: self.prefix_sid,
            source_trunk_group_sid: self.source_trunk_group_sid,
            string_key_1: self.string_key_1.clone(),
            string_key_2: self.string_key_2.clone(),
            transformations: sorted(&self.transformations),
            trunk_group_sid: self.trunk_group_sid,
        }
    }

    pub fn to_lrn_wire(&self) -> LrnPrefix {
        self.to_wire().into()
    }
}

/// The filterable attributes (the secure ID named as the kind names it).
macro_rules! prefix_list {
    ($sid:literal) => {
        ListSpec {
            fields: &[
                Field::new("attributes", "x.attributes", T::Json),
                Field::new("callback_url", "x.callback_url", T::Text),
                Field::new("lrn_sid", "x.lrn_sid", T::Uuid),
                Field::new("name", "x.name", T::Text),
                Field::new("partner_sid", "x.partner_sid", T::Uuid),
                Field::new("prefix", "x.prefix", T::Text),
                Field::new($sid, "x.prefix_sid", T::Uuid),
                Field::new("source_trunk_group_sid", "x.source_trunk_group_sid", T::Uuid),
                Field::new("string_key_1", "x.string_key_1", T::Text),
                Field::new("string_key_2", "x.string_key_2", T::Text),
                Field::new("transformations", "x.transformations", T::Json),
                Field::new("trunk_group_sid", "x.trunk_group_sid", T::Uuid),
            ],
            sid: "x.prefix_sid",
            default_order: "x.id",
            default_limit: 10,
            total: true,
            keyset: None,
        }
    };
}

pub const LIST: ListSpec = prefix_list!("prefix_sid");
pub const LRN_LIST: ListSpec = prefix_list!("lrn_prefix_sid");

pub async fn list<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    kind: Kind,
    q: &ListQuery,
) -> RepoResult<Page<PrefixRow>> {
    let pattern = t.subtree_pattern();
    let spec = if kind == Kind::Lrn { &LRN_LIST } else { &LIST };
    listing::fetch::<PrefixRow, _>(db, spec, q, COLUMNS, FROM, &move |qb| {
        qb.push(" AND x.kind = ").push_bind(kind.as_str());
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, kind: Kind, sid: Uuid, lock: bool) -> RepoResult<Option<PrefixRow>> {
    let lock = if lock { " FOR UPDATE OF x" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE x.prefix_sid = $1 AND x.kind = $2 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .bind(kind.as_str())
    .fetch_optional(db)
    .await?)
}

pub async fn upsert(db: &mut PgConnection, x: &PrefixRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO prefixes (prefix_sid, partner_sid, prefix, name, attributes, callback_url, source_trunk_group_sid,
             trunk_group_sid, string_key_1, string_key_2, transformations, kind)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (prefix_sid) DO UPDATE SET prefix = $3, name = $4, attributes = $5, callback_url = $6,
             source_trunk_group_sid = $7, trunk_group_sid = $8, string_key_1 = $9, string_key_2 = $10, transformations = $11",
    )
    .bind(x.prefix_sid)
    .bind(x.partner_sid)
    .bind(&x.prefix)
    .bind(&x.name)
    .bind(&x.attributes)
    .bind(&x.callback_url)
    .bind(x.source_trunk_group_sid)
    .bind(x.trunk_group_sid)
    .bind(&x.string_key_1)
    .bind(&x.string_key_2)
    .bind(&x.transformations)
    .bind(&x.kind)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM prefixes WHERE prefix_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

pub async fn count_using_trunk_group<'e>(db: impl PgExecutor<'e>, tg: Uuid) -> RepoResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM prefixes WHERE trunk_group_sid = $1 OR source_trunk_group_sid = $1")
        .bind(tg)
        .fetch_one(db)
        .await?)
}

/// The prefixes whose `prefix` (or, `by_sid`, whose secure ID) is among `keys`, locked.
pub async fn find_many(db: &mut PgConnection, by_sid: bool, keys: &[String]) -> RepoResult<Vec<PrefixRow>> {
    let cond = if by_sid { "x.prefix_sid = ANY($1::uuid[])" } else { "x.prefix = ANY($1)" };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE {cond} AND x.kind = 'routing' AND p.status <> 'deleted' ORDER BY x.id FOR UPDATE OF x"
    ))
    .bind(keys)
    .fetch_all(db)
    .await?)
}

/// The routing prefix (of any partner) that starts `number` longest, if any.
pub async fn longest_match<'e>(db: impl PgExecutor<'e>, number: &str) -> RepoResult<Option<PrefixRow>> {
    let starts: Vec<&str> = (1..=number.len()).filter(|n| number.is_char_boundary(*n)).map(|n| &number[..n]).collect();
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE x.prefix = ANY($1) AND x.kind = 'routing' AND p.status <> 'deleted' \
          ORDER BY length(x.prefix) DESC, x.id LIMIT 1"
    ))
    .bind(starts)
    .fetch_optional(db)
    .await?)
}
