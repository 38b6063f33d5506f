//! Storage containers, files and their bytes: all their SQL.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Container, File};
use crate::db::copy::BinaryCopy;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;

const C_COLUMNS: &str = "c.container_sid, c.partner_sid, c.name, c.allow_publish, c.allowed_classifications, \
    c.blocked_classifications, c.default_file_lifecycle_action, c.default_file_lifecycle_ttl, c.default_file_publish, \
    c.default_file_threshold_include, c.default_file_unique, c.integer_key_1, c.integer_key_2, c.parent_container_sid, \
    c.publish_domain, c.quota_bytes, c.quota_files, c.string_key_1, c.string_key_2, c.string_key_3, c.string_key_4, \
    c.total_bytes, c.total_files, c.threshold_total_bytes, c.threshold_total_files, c.\"unique\", p.tree_path";
const C_FROM: &str = "storage_containers c JOIN partners p ON p.partner_sid = c.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ContainerRow {
    pub container_sid: Uuid,
    pub partner_sid: Uuid,
    pub name: String,
    pub allow_publish: bool,
    pub allowed_classifications: Vec<String>,
    pub blocked_classifications: Vec<String>,
    pub default_file_lifecycle_action: String,
    pub default_file_lifecycle_ttl: i32,
    pub default_file_publish: String,
    pub default_file_threshold_include: bool,
    pub default_file_unique: bool,
    pub integer_key_1: Option<i64>,
    pub integer_key_2: Option<i64>,
    pub parent_container_sid: Option<Uuid>,
    pub publish_domain: String,
    pub quota_bytes: i64,
    pub quota_files: i64,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub string_key_3: Option<String>,
    pub string_key_4: Option<String>,
    pub total_bytes: i64,
    pub total_files: i64,
    pub threshold_total_bytes: i64,
    pub threshold_total_files: i64,
    pub unique: bool,
    pub tree_path: String,
}

fn percent_free(total: i64, quota: i64) -> i64 {
    if quota <= 0 {
        return 0;
    }
    (((quota - total).max(0) as i128 * 100) / quota as i128) as i64
}

impl ContainerRow {
    pub fn to_wire(&self) -> Container {
        Container {
            allow_publish: self.allow_publish,
            allowed_classifications: self.allowed_classifications.clone(),
            available_bytes_percent: percent_free(self.total_bytes, self.quota_bytes),
            available_files_percent: percent_free(self.total_files, self.quota_files),
            blocked_classifications: self.blocked_classifications.clone(),
            container_sid: self.container_sid,
            default_file_lifecycle_action: self.default_file_lifecycle_action.clone(),
            default_file_lifecycle_ttl: self.default_file_lifecycle_ttl,
            default_file_publish: self.default_file_publish.clone(),
            default_file_threshold_include: self.default_file_threshold_include,
            default_file_unique: self.default_file_unique,
            durability_class: "unassigned".into(),
            encrypted: false,
            external_attributes: serde_json::json!({}),
            integer_key_1: self.integer_key_1,
            integer_key_2: self.integer_key_2,
            name: self.name.clone(),
            parent_container_sid: self.parent_container_sid,
            partner_sid: self.partner_sid,
            publish_domain: self.publish_domain.clone(),
            quota_bytes: self.quota_bytes,
            quota_files: self.quota_files,
            string_key_1: self.string_key_1.clone(),
            string_key_2: self.string_key_2.clone(),
            string_key_3: self.string_key_3.clone(),
            string_key_4: self.string_key_4.clone(),
            threshold_action: None,
            threshold_available_bytes_percent: None,
            threshold_available_files_percent: None,
            threshold_bytes: None,
            threshold_bytes_target: None,
            threshold_files: None,
            threshold_files_target: None,
            threshold_grace_period: 0,
            threshold_total_bytes: self.threshold_total_bytes,
            threshold_total_files: self.threshold_total_files,
            total_bytes: self.total_bytes,
            total_files: self.total_files,
            kind: "internal".into(),
            unique: self.unique,
        }
    }
}

const F_COLUMNS: &str =
    "f.file_sid, f.partner_sid, f.container_sid, f.name, f.content_classification, f.content_format, \
    f.desired_bitrate, f.desired_format, f.file_access_name, f.file_bytes, f.integer_key_1, f.integer_key_2, \
    f.lifecycle_action, f.lifecycle_ttl, f.mime_type, f.parent_file_sid, f.publish, f.string_key_1, f.string_key_2, \
    f.string_key_3, f.string_key_4, f.threshold_include, f.type, f.\"unique\", f.date_last_accessed, f.date_modified, \
    f.date_created, c.publish_domain, p.tree_path";
const F_FROM: &str = "storage_files f JOIN storage_containers c ON c.container_sid = f.container_sid \
    JOIN partners p ON p.partner_sid = f.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FileRow {
    pub file_sid: Uuid,
    pub partner_sid: Uuid,
    pub container_sid: Uuid,
    pub name: String,
    pub content_classification: String,
    pub content_format: Option<String>,
    pub desired_bitrate: Option<i32>,
    pub desired_format: Option<String>,
    pub file_access_name: String,
    pub file_bytes: i64,
    pub integer_key_1: Option<i64>,
    pub integer_key_2: Option<i64>,
    pub lifecycle_action: String,
    pub lifecycle_ttl: i32,
    pub mime_type: String,
    pub parent_file_sid: Option<Uuid>,
    pub publish: String,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub string_key_3: Option<String>,
    pub string_key_4: Option<String>,
    pub threshold_include: bool,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub unique: bool,
    pub date_last_accessed: Option<DateTime<Utc>>,
    pub date_modified: DateTime<Utc>,
    pub date_created: DateTime<Utc>,
    pub publish_domain: String,
    pub tree_path: String,
}

impl FileRow {
    /// Where a published file is read without credentials (`GET /f/...` on this server when the
    /// container's `publish_domain` is this server's).
    pub fn publish_uri(&self) -> String {
        let key =
            if self.publish == "file_access_name" { self.file_access_name.clone() } else { self.file_sid.to_string() };
        format!("{}/f/{key}", self.publish_domain.trim_end_matches('/'))
    }

    pub fn to_wire(&self) -> File {
        File {
            container_sid: self.container_sid,
            content_classification: self.content_classification.clone(),
            content_duration: None,
            content_format: self.content_format.clone(),
            content_transcoding_progress: None,
            date_last_accessed: self.date_last_accessed.map(Into::into),
            date_modified: self.date_modified.into(),
            desired_bitrate: self.desired_bitrate,
            desired_format: self.desired_format.clone(),
            file_access_name: self.file_access_name.clone(),
            file_bytes: self.file_bytes,
            file_sid: self.file_sid,
            integer_key_1: self.integer_key_1,
            integer_key_2: self.integer_key_2,
            lifecycle_action: self.lifecycle_action.clone(),
            lifecycle_ttl: self.lifecycle_ttl,
            mime_type: self.mime_type.clone(),
            name: self.name.clone(),
            parent_file_sid: self.parent_file_sid,
            partner_sid: self.partner_sid,
            publish: self.publish.clone(),
            publish_uri: self.publish_uri(),
            string_key_1: self.string_key_1.clone(),
            string_key_2: self.string_key_2.clone(),
            string_key_3: self.string_key_3.clone(),
            string_key_4: self.string_key_4.clone(),
            threshold_include: self.threshold_include,
            kind: self.kind.clone(),
            unique: self.unique,
        }
    }
}

crate::resources::shared::owned_rows!(ContainerRow, FileRow);
crate::resources::shared::cached_rows!(ContainerRow => "storage_containers", FileRow => "storage_files");

pub const CONTAINER_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("allow_publish", "c.allow_publish", T::Bool),
        Field::new("container_sid", "c.container_sid", T::Uuid),
        Field::new("integer_key_1", "c.integer_key_1", T::Int),
        Field::new("integer_key_2", "c.integer_key_2", T::Int),
        Field::new("name", "c.name", T::Text),
        Field::new("parent_container_sid", "c.parent_container_sid", T::Uuid),
        Field::new("partner_sid", "c.partner_sid", T::Uuid),
        Field::new("quota_bytes", "c.quota_bytes", T::Int),
        Field::new("quota_files", "c.quota_files", T::Int),
        Field::new("string_key_1", "c.string_key_1", T::Text),
        Field::new("string_key_2", "c.string_key_2", T::Text),
        Field::new("string_key_3", "c.string_key_3", T::Text),
        Field::new("string_key_4", "c.string_key_4", T::Text),
        Field::new("total_bytes", "c.total_bytes", T::Int),
        Field::new("total_files", "c.total_files", T::Int),
    ],
    sid: "c.container_sid",
    default_order: "c.id",
    default_limit: 1000,
    total: true,
    keyset: None,
};

pub const FILE_LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("container_sid", "f.container_sid", T::Uuid),
        Field::new("content_classification", "f.content_classification", T::Text),
        Field::new("content_format", "f.content_format", T::Text),
        Field::new("date_last_accessed", "f.date_last_accessed", T::Timestamp),
        Field::new("date_modified", "f.date_modified", T::Timestamp),
        Field::new("file_access_name", "f.file_access_name", T::Text),
        Field::new("file_bytes", "f.file_bytes", T::Int),
        Field::new("file_sid", "f.file_sid", T::Uuid),
        Field::new("integer_key_1", "f.integer_key_1", T::Int),
        Field::new("integer_key_2", "f.integer_key_2", T::Int),
        Field::new("lifecycle_action", "f.lifecycle_action", T::Text),
        Field::new("mime_type", "f.mime_type", T::Text),
        Field::new("name", "f.name", T::Text),
        Field::new("partner_sid", "f.partner_sid", T::Uuid),
        Field::new("publish", "f.publish", T::Text),
        Field::new("string_key_1", "f.string_key_1", T::Text),
        Field::new("string_key_2", "f.string_key_2", T::Text),
        Field::new("string_key_3", "f.string_key_3", T::Text),
        Field::new("string_key_4", "f.string_key_4", T::Text),
        Field::new("type", "f.type", T::Text),
    ],
    sid: "f.file_sid",
    default_order: "f.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_containers<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<ContainerRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<ContainerRow, _>(db, &CONTAINER_LIST, q, C_COLUMNS, C_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_container<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<ContainerRow>> {
    let lock = if lock { " FOR UPDATE OF c" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {C_COLUMNS} FROM {C_FROM} WHERE c.container_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// The partner's containers, counted (and locked against a concurrent create: the partner row).
pub async fn count_containers(db: &mut PgConnection, partner: Uuid) -> RepoResult<i64> {
    sqlx::query("SELECT 1 FROM partners WHERE partner_sid = $1 FOR UPDATE").bind(partner).execute(&mut *db).await?;
    Ok(sqlx::query_scalar("SELECT count(*) FROM storage_containers WHERE partner_sid = $1")
        .bind(partner)
        .fetch_one(db)
        .await?)
}

pub async fn save_container(db: &mut PgConnection, c: &ContainerRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO storage_containers (container_sid, partner_sid, name, allow_publish, allowed_classifications,
             blocked_classifications, default_file_lifecycle_action, default_file_lifecycle_ttl, default_file_publish,
             default_file_threshold_include, default_file_unique, integer_key_1, integer_key_2, parent_container_sid,
             publish_domain, quota_bytes, quota_files, string_key_1, string_key_2, string_key_3, string_key_4, \"unique\")
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
         ON CONFLICT (container_sid) DO UPDATE SET name = $3, allow_publish = $4, allowed_classifications = $5,
             blocked_classifications = $6, default_file_lifecycle_action = $7, default_file_lifecycle_ttl = $8,
             default_file_publish = $9, default_file_threshold_include = $10, default_file_unique = $11,
             integer_key_1 = $12, integer_key_2 = $13, publish_domain = $15, quota_bytes = $16, quota_files = $17,
             string_key_1 = $18, string_key_2 = $19, string_key_3 = $20, string_key_4 = $21",
    )
    .bind(c.container_sid)
    .bind(c.partner_sid)
    .bind(&c.name)
    .bind(c.allow_publish)
    .bind(&c.allowed_classifications)
    .bind(&c.blocked_classifications)
    .bind(&c.default_file_lifecycle_action)
    .bind(c.default_file_lifecycle_ttl)
    .bind(&c.default_file_publish)
    .bind(c.default_file_threshold_include)
    .bind(c.default_file_unique)
    .bind(c.integer_key_1)
    .bind(c.integer_key_2)
    .bind(c.parent_container_sid)
    .bind(&c.publish_domain)
    .bind(c.quota_bytes)
    .bind(c.quota_files)
    .bind(&c.string_key_1)
    .bind(&c.string_key_2)
    .bind(&c.string_key_3)
    .bind(&c.string_key_4)
    .bind(c.unique)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes an empty container; `false` when it still holds files.
pub async fn delete_container(db: &mut PgConnection, sid: Uuid) -> RepoResult<bool> {
    let has: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM storage_files WHERE container_sid = $1)")
        .bind(sid)
        .fetch_one(&mut *db)
        .await?;
    if has {
        return Ok(false);
    }
    sqlx::query("DELETE FROM storage_containers WHERE container_sid = $1").bind(sid).execute(db).await?;
    Ok(true)
}

pub async fn list_files<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<FileRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<FileRow, _>(db, &FILE_LIST, q, F_COLUMNS, F_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_file<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<FileRow>> {
    let lock = if lock { " FOR UPDATE OF f" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {F_COLUMNS} FROM {F_FROM} WHERE f.file_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// A published file by its `file_sid` or `file_access_name` (`GET /f/...`).
pub async fn published<'e>(db: impl PgExecutor<'e>, key: &str) -> RepoResult<Option<FileRow>> {
    let by_sid = Uuid::parse_str(key).ok();
    Ok(sqlx::query_as(&format!(
        "SELECT {F_COLUMNS} FROM {F_FROM}
          WHERE ((f.publish = 'file_sid' AND f.file_sid = $1) OR (f.publish = 'file_access_name' AND f.file_access_name = $2))
            AND c.allow_publish AND p.status <> 'deleted' LIMIT 1"
    ))
    .bind(by_sid)
    .bind(key)
    .fetch_optional(db)
    .await?)
}

/// The chunks of one file written with one `COPY` in the caller's transaction: each chunk goes
/// out as it is given, with no round trip between chunks.
pub struct ChunkWriter<'c> {
    copy: BinaryCopy<'c>,
    file: Uuid,
}

impl<'c> ChunkWriter<'c> {
    pub async fn start(db: &'c mut PgConnection, file: Uuid) -> RepoResult<Self> {
        Ok(ChunkWriter { copy: BinaryCopy::start(db, "storage_chunks", "file_sid, seq, data").await?, file })
    }

    pub async fn write(&mut self, seq: i32, data: &[u8]) -> RepoResult<()> {
        self.copy.row(&[self.file.as_bytes(), &seq.to_be_bytes(), data]).await
    }

    pub async fn finish(self) -> RepoResult<u64> {
        self.copy.finish().await
    }

    pub async fn abort(self) {
        self.copy.abort().await
    }
}

pub async fn chunk<'e>(db: impl PgExecutor<'e>, file: Uuid, seq: i32) -> RepoResult<Option<Vec<u8>>> {
    Ok(sqlx::query_scalar("SELECT data FROM storage_chunks WHERE file_sid = $1 AND seq = $2")
        .bind(file)
        .bind(seq)
        .fetch_optional(db)
        .await?)
}

/// Takes room for a file of `bytes` in a container within its quotas (the container row locked to
/// the commit: concurrent uploads take turns and none overruns); answers which quota would be
/// passed, if one would.
pub async fn take_room(
    db: &mut PgConnection,
    container: Uuid,
    bytes: i64,
    counted: bool,
) -> RepoResult<Option<&'static str>> {
    let row: Option<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT total_bytes, quota_bytes, total_files, quota_files FROM storage_containers
          WHERE container_sid = $1 FOR UPDATE",
    )
    .bind(container)
    .fetch_optional(&mut *db)
    .await?;
    let Some((total_bytes, quota_bytes, total_files, quota_files)) = row else { return Ok(Some("container_sid")) };
    if total_bytes.saturating_add(bytes) > quota_bytes {
        return Ok(Some("quota_bytes"));
    }
    if total_files + 1 > quota_files {
        return Ok(Some("quota_files"));
    }
    sqlx::query(
        "UPDATE storage_containers SET total_bytes = total_bytes + $2, total_files = total_files + 1,
                threshold_total_bytes = threshold_total_bytes + CASE WHEN $3 THEN $2 ELSE 0 END,
                threshold_total_files = threshold_total_files + CASE WHEN $3 THEN 1 ELSE 0 END
          WHERE container_sid = $1",
    )
    .bind(container)
    .bind(bytes)
    .bind(counted)
    .execute(db)
    .await?;
    Ok(None)
}

pub async fn save_file(db: &mut PgConnection, f: &FileRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO storage_files (file_sid, partner_sid, container_sid, name, content_classification, content_format,
             desired_bitrate, desired_format, file_access_name, file_bytes, integer_key_1, integer_key_2, lifecycle_action,
             lifecycle_ttl, mime_type, parent_file_sid, publish, string_key_1, string_key_2, string_key_3, string_key_4,
             threshold_include, type, \"unique\", date_modified)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23,
                 $24, $25)
         ON CONFLICT (file_sid) DO UPDATE SET name = $4, content_classification = $5, content_format = $6,
             desired_bitrate = $7, desired_format = $8, file_access_name = $9, integer_key_1 = $11, integer_key_2 = $12,
             lifecycle_action = $13, lifecycle_ttl = $14, mime_type = $15, publish = $17, string_key_1 = $18,
             string_key_2 = $19, string_key_3 = $20, string_key_4 = $21, threshold_include = $22, \"unique\" = $24,
             date_modified = $25",
    )
    .bind(f.file_sid)
    .bind(f.partner_sid)
    .bind(f.container_sid)
    .bind(&f.name)
    .bind(&f.content_classification)
    .bind(&f.content_format)
    .bind(f.desired_bitrate)
    .bind(&f.desired_format)
    .bind(&f.file_access_name)
    .bind(f.file_bytes)
    .bind(f.integer_key_1)
    .bind(f.integer_key_2)
    .bind(&f.lifecycle_action)
    .bind(f.lifecycle_ttl)
    .bind(&f.mime_type)
    .bind(f.parent_file_sid)
    .bind(&f.publish)
    .bind(&f.string_key_1)
    .bind(&f.string_key_2)
    .bind(&f.string_key_3)
    .bind(&f.string_key_4)
    .bind(f.threshold_include)
    .bind(&f.kind)
    .bind(f.unique)
    .bind(f.date_modified)
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes a file, its bytes, and gives its room back to its container.
pub async fn delete_file(db: &mut PgConnection, f: &FileRow) -> RepoResult<()> {
    sqlx::query("DELETE FROM storage_chunks WHERE file_sid = $1").bind(f.file_sid).execute(&mut *db).await?;
    let gone = sqlx::query("DELETE FROM storage_files WHERE file_sid = $1").bind(f.file_sid).execute(&mut *db).await?;
    if gone.rows_affected() == 1 {
        sqlx::query(
            "UPDATE storage_containers SET total_bytes = total_bytes - $2, total_files = total_files - 1,
                    threshold_total_bytes = threshold_total_bytes - CASE WHEN $3 THEN $2 ELSE 0 END,
                    threshold_total_files = threshold_total_files - CASE WHEN $3 THEN 1 ELSE 0 END
              WHERE container_sid = $1",
        )
        .bind(f.container_sid)
        .bind(f.file_bytes)
        .bind(f.threshold_include)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// Notes a download (at most once a minute a file).
pub async fn accessed<'e>(db: impl PgExecutor<'e>, file: Uuid) -> RepoResult<()> {
    sqlx::query(
        "UPDATE storage_files SET date_last_accessed = date_trunc('milliseconds', now())
          WHERE file_sid = $1 AND (date_last_accessed IS NULL OR date_last_accessed < now() - interval '1 minute')",
    )
    .bind(file)
    .execute(db)
    .await?;
    Ok(())
}

/// Files whose lifecycle ends with deletion and whose time is up (up to 100, locked).
pub async fn expired_files(db: &mut PgConnection) -> RepoResult<Vec<FileRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {F_COLUMNS} FROM {F_FROM}
          WHERE f.lifecycle_action = 'delete' AND f.lifecycle_ttl >= 0
            AND f.date_created + make_interval(secs => f.lifecycle_ttl) <= now()
          ORDER BY f.id LIMIT 100 FOR UPDATE OF f SKIP LOCKED"
    ))
    .fetch_all(db)
    .await?)
}
