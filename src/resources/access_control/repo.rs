use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::AccessControlRule;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;

const COLUMNS: &str = "r.rule_sid, r.partner_sid, r.name, r.field, r.operation, r.quantifier, r.entries, p.tree_path";
const FROM: &str = "access_control_rules r JOIN partners p ON p.partner_sid = r.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RuleRow {
    pub rule_sid: Uuid,
    pub partner_sid: Uuid,
    pub name: String,
    pub field: String,
    pub operation: String,
    pub quantifier: String,
    pub entries: Vec<String>,
    pub tree_path: String,
}

impl crate::cache::Cacheable for RuleRow {
    const TABLE: &'static str = "access_control_rules";
}

impl RuleRow {
    /// The wire object as `caller` sees it: its ancestors' rules are read only.
    pub fn to_wire(&self, t: Tenancy<'_>) -> AccessControlRule {
        AccessControlRule {
            entries: self.entries.clone(),
            field: self.field.clone(),
            name: self.name.clone(),
            operation: self.operation.clone(),
            quantifier: self.quantifier.clone(),
            read_only: !t.admin && self.partner_sid != t.partner_sid,
            rule_sid: self.rule_sid,
        }
    }

    pub fn to_domain(&self) -> crate::domain::access_control::Rule {
        crate::domain::access_control::Rule {
            sid: self.rule_sid,
            field: self.field.clone(),
            operation: self.operation.clone(),
            quantifier: self.quantifier.clone(),
            entries: self.entries.clone(),
        }
    }
}

/// A partner sees its own rules and its ancestors' (any through the admin routes).
impl crate::resources::shared::Owned for RuleRow {
    fn tree_path(&self) -> &str {
        &self.tree_path
    }

    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        t.admin || t.tree_path.starts_with(&self.tree_path)
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("entries", "r.entries", T::TextArray),
        Field::new("field", "r.field", T::Text),
        Field::new("name", "r.name", T::Text),
        Field::new("operation", "r.operation", T::Text),
        Field::new("quantifier", "r.quantifier", T::Text),
        Field::new("rule_sid", "r.rule_sid", T::Uuid),
    ],
    sid: "r.rule_sid",
    default_order: "r.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// The rules a partner at `tree_path` sees: its own and its ancestors' (never its descendants').
pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<RuleRow>> {
    let path = t.tree_path.to_owned();
    let admin = t.admin;
    listing::fetch::<RuleRow, _>(db, &LIST, q, COLUMNS, FROM, &move |qb| {
        if !admin {
            qb.push(" AND starts_with(").push_bind(path.clone()).push(", p.tree_path)");
        }
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<RuleRow>> {
    let lock = if lock { " FOR UPDATE OF r" } else { "" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE r.rule_sid = $1{lock}"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

/// The rules among `sids` (whoever owns them).
pub async fn get_many<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<RuleRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE r.rule_sid = ANY($1)"))
        .bind(sids)
        .fetch_all(db)
        .await?)
}

/// The rules among `sids` that a partner at `tree_path` sees.
pub async fn visible<'e>(db: impl PgExecutor<'e>, tree_path: &str, sids: &[Uuid]) -> RepoResult<Vec<RuleRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE r.rule_sid = ANY($1) AND starts_with($2, p.tree_path)"
    ))
    .bind(sids)
    .bind(tree_path)
    .fetch_all(db)
    .await?)
}

pub async fn upsert(db: &mut PgConnection, r: &RuleRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO access_control_rules (rule_sid, partner_sid, name, field, operation, quantifier, entries)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (rule_sid) DO UPDATE SET name = $3, field = $4, operation = $5, quantifier = $6, entries = $7",
    )
    .bind(r.rule_sid)
    .bind(r.partner_sid)
    .bind(&r.name)
    .bind(&r.field)
    .bind(&r.operation)
    .bind(&r.quantifier)
    .bind(&r.entries)
    .execute(db)
    .await?;
    Ok(())
}

/// How many ACLs (of partners, trunk groups and trunks) name the rule.
pub async fn uses<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<i64> {
    let probe = serde_json::json!([{"access_control_rules": [sid.to_string()]}]);
    Ok(sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM partners WHERE acls @> $1 OR parent_assigned_acls @> $1)
              + (SELECT COUNT(*) FROM trunk_groups WHERE acls @> $1)
              + (SELECT COUNT(*) FROM trunks WHERE acls @> $1)",
    )
    .bind(probe)
    .fetch_one(db)
    .await?)
}

pub async fn delete<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM access_control_rules WHERE rule_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}
