//! DID classifications: all their SQL.

use sqlx::PgExecutor;
use uuid::Uuid;

use super::types::Classification;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;

const COLUMNS: &str = "c.classification_sid, c.name, c.aging_policy";

impl crate::cache::Cacheable for ClassificationRow {
    const TABLE: &'static str = "did_classifications";
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ClassificationRow {
    pub classification_sid: Uuid,
    pub name: String,
    pub aging_policy: i32,
}

impl ClassificationRow {
    pub fn to_wire(&self) -> Classification {
        Classification {
            aging_policy: self.aging_policy,
            classification_sid: self.classification_sid,
            name: self.name.clone(),
        }
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("aging_policy", "c.aging_policy", T::Int),
        Field::new("classification_sid", "c.classification_sid", T::Uuid),
        Field::new("name", "c.name", T::Text),
    ],
    sid: "c.classification_sid",
    default_order: "c.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<ClassificationRow>> {
    listing::fetch::<ClassificationRow, _>(db, &LIST, q, COLUMNS, "did_classifications c", &|_| {}).await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<ClassificationRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM did_classifications c WHERE c.classification_sid = $1"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}
