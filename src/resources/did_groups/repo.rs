use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::DidGroup;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;

const COLUMNS: &str = "g.did_group_sid, g.partner_sid, g.name, g.callback_url, p.tree_path";
const FROM: &str = "did_groups g JOIN partners p ON p.partner_sid = g.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupRow {
    pub did_group_sid: Uuid,
    pub partner_sid: Uuid,
    pub name: String,
    pub callback_url: Option<String>,
    pub tree_path: String,
}

impl GroupRow {
    pub fn to_wire(&self) -> DidGroup {
        DidGroup {
            callback_url: self.callback_url.clone(),
            did_group_sid: self.did_group_sid,
            name: self.name.clone(),
            partner: None,
            partner_sid: self.partner_sid,
        }
    }
}

crate::resources::shared::owned_rows!(GroupRow);
crate::resources::shared::cached_rows!(GroupRow => "did_groups");

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("callback_url", "g.callback_url", T::Text),
        Field::new("did_group_sid", "g.did_group_sid", T::Uuid),
        Field::new("name", "g.name", T::Text),
        Field::new("partner_sid", "g.partner_sid", T::Uuid),
    ],
    sid: "g.did_group_sid",
    default_order: "g.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<GroupRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<GroupRow, _>(db, &LIST, q, COLUMNS, FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<GroupRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE g.did_group_sid = $1 AND p.status <> 'deleted'"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

pub async fn upsert(db: &mut PgConnection, g: &GroupRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO did_groups (did_group_sid, partner_sid, name, callback_url) VALUES ($1, $2, $3, $4)
         ON CONFLICT (did_group_sid) DO UPDATE SET name = $3, callback_url = $4",
    )
    .bind(g.did_group_sid)
    .bind(g.partner_sid)
    .bind(&g.name)
    .bind(&g.callback_url)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes a group; its numbers leave it.
pub async fn delete<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM did_groups WHERE did_group_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}
