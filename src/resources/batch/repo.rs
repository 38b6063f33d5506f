use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{ErrorDetail, ReviewItem, Task};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;

const COLUMNS: &str = "t.id, t.task_sid, t.partner_sid, t.admin, t.type, t.method, t.field, t.entries, t.data, \
    t.rent_filter, t.review, t.status, t.total, t.processed, t.success, t.failure, t.date_created, t.date_modified, \
    p.tree_path";
const FROM: &str = "batch_tasks t JOIN partners p ON p.partner_sid = t.partner_sid";

/// How many failed entries the task object lists in `error_details` (`/errors` pages through all).
pub const ERROR_DETAILS_SHOWN: i64 = 100;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub task_sid: Uuid,
    pub partner_sid: Uuid,
    pub admin: bool,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub method: String,
    pub field: Option<String>,
    pub entries: Option<Value>,
    pub data: Option<Value>,
    pub rent_filter: Option<String>,
    pub review: bool,
    pub status: String,
    pub total: Option<i32>,
    pub processed: Option<i32>,
    pub success: Option<i32>,
    pub failure: Option<i32>,
    pub date_created: DateTime<Utc>,
    pub date_modified: DateTime<Utc>,
    pub tree_path: String,
}

impl TaskRow {
    pub fn to_wire(&self, error_details: Vec<ErrorDetail>) -> Task {
        Task {
            data: self.data.clone().unwrap_or(Value::Null),
            date_created: self.date_created.into(),
            date_modified: self.date_modified.into(),
            entries: self.entries.clone().unwrap_or(Value::Null),
            error_details,
            failure: self.failure,
            field: self.field.clone(),
            method: self.method.clone(),
            partner_sid: self.partner_sid,
            processed: self.processed,
            review: self.review,
            status: self.status.clone(),
            success: self.success,
            task_sid: self.task_sid,
            total: self.total,
            kind: self.kind.clone(),
        }
    }
}

/// A task created through the admin routes (acting on every partner) is the admin routes' only.
impl crate::resources::shared::Owned for TaskRow {
    fn tree_path(&self) -> &str {
        &self.tree_path
    }

    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        t.sees(&self.tree_path) && (t.admin || !self.admin)
    }
}

/// A task as its object shows it: the row and its first failed entries (both change in the
/// same transactions: a chunk's entries and the task's claim), cached by secure ID.
pub struct TaskView {
    pub row: TaskRow,
    pub errors: Vec<ErrorDetail>,
}

impl crate::cache::Cacheable for TaskView {
    const TABLE: &'static str = "batch_tasks";
}

impl crate::resources::shared::Owned for TaskView {
    fn tree_path(&self) -> &str {
        &self.row.tree_path
    }

    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        self.row.visible_to(t)
    }
}

impl TaskView {
    pub fn to_wire(&self) -> Task {
        self.row.to_wire(self.errors.clone())
    }
}

pub async fn get_view(db: &sqlx::PgPool, sid: Uuid) -> RepoResult<Option<TaskView>> {
    let Some(row) = get(db, sid, false).await? else { return Ok(None) };
    let errors = error_details(db, &[row.id]).await?.remove(&row.id).unwrap_or_default();
    Ok(Some(TaskView { row, errors }))
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("date_created", "t.date_created", T::Timestamp),
        Field::new("date_modified", "t.date_modified", T::Timestamp),
        Field::new("failure", "t.failure", T::Int),
        Field::new("field", "t.field", T::Text),
        Field::new("method", "t.method", T::Text),
        Field::new("partner_sid", "t.partner_sid", T::Uuid),
        Field::new("processed", "t.processed", T::Int),
        Field::new("review", "t.review", T::Bool),
        Field::new("status", "t.status", T::Text),
        Field::new("success", "t.success", T::Int),
        Field::new("task_sid", "t.task_sid", T::Uuid),
        Field::new("total", "t.total", T::Int),
        Field::new("type", "t.type", T::Text),
    ],
    sid: "t.task_sid",
    default_order: "t.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// The failed entries of a task, in entry order; no filter fields (pagination only).
pub const ERRORS: ListSpec =
    ListSpec { fields: &[], sid: "i.idx", default_order: "i.idx", default_limit: 10, total: true, keyset: None };

/// A new task, before it is stored.
pub struct NewTask {
    pub task_sid: Uuid,
    pub partner_sid: Uuid,
    pub admin: bool,
    pub kind: String,
    pub method: String,
    pub field: Option<String>,
    pub entries: Option<Value>,
    pub data: Option<Value>,
    pub rent_filter: Option<String>,
    pub review: bool,
}

/// Stores a task and one item per entry (or data object) in `keys`.
pub async fn insert(tx: &mut PgConnection, t: &NewTask, keys: &[Value]) -> RepoResult<()> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO batch_tasks (task_sid, partner_sid, admin, type, method, field, entries, data, rent_filter, review)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(t.task_sid)
    .bind(t.partner_sid)
    .bind(t.admin)
    .bind(&t.kind)
    .bind(&t.method)
    .bind(&t.field)
    .bind(&t.entries)
    .bind(&t.data)
    .bind(&t.rent_filter)
    .bind(t.review)
    .fetch_one(&mut *tx)
    .await?;
    let idx: Vec<i32> = (0..keys.len() as i32).collect();
    sqlx::query("INSERT INTO batch_items (task_id, idx, key) SELECT $1, * FROM unnest($2::int[], $3::jsonb[])")
        .bind(id)
        .bind(&idx)
        .bind(keys)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<TaskRow>> {
    let lock = if lock { " FOR UPDATE OF t" } else { "" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE t.task_sid = $1{lock}"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<TaskRow>> {
    let pattern = t.subtree_pattern();
    let admin = t.admin;
    listing::fetch::<TaskRow, _>(db, &LIST, q, COLUMNS, FROM, &move |qb| {
        qb.push(" AND p.tree_path LIKE ").push_bind(pattern.clone());
        if !admin {
            qb.push(" AND NOT t.admin");
        }
    })
    .await
}

#[derive(sqlx::FromRow)]
struct FailedRow {
    task_id: i64,
    key: Value,
    error: Option<Value>,
}

impl FailedRow {
    fn detail(self) -> ErrorDetail {
        ErrorDetail { error: self.error.unwrap_or(Value::Null), key: self.key }
    }
}

/// The first failed entries of each task, in one query.
pub async fn error_details<'e>(db: impl PgExecutor<'e>, ids: &[i64]) -> RepoResult<HashMap<i64, Vec<ErrorDetail>>> {
    let rows: Vec<FailedRow> = sqlx::query_as(
        "SELECT f.task_id, f.key, f.error FROM unnest($1::bigint[]) AS t(id)
           CROSS JOIN LATERAL (SELECT i.task_id, i.key, i.error, i.idx FROM batch_items i
                                WHERE i.task_id = t.id AND i.state = 'failed' ORDER BY i.idx LIMIT $2) f
          ORDER BY f.task_id, f.idx",
    )
    .bind(ids)
    .bind(ERROR_DETAILS_SHOWN)
    .fetch_all(db)
    .await?;
    let mut out: HashMap<i64, Vec<ErrorDetail>> = HashMap::new();
    for r in rows {
        out.entry(r.task_id).or_default().push(r.detail());
    }
    Ok(out)
}

/// A page of a task's failed entries.
pub async fn list_errors<'e>(
    db: impl PgExecutor<'e> + Copy,
    task_id: i64,
    q: &ListQuery,
) -> RepoResult<Page<ErrorDetail>> {
    let page =
        listing::fetch::<FailedRow, _>(db, &ERRORS, q, "i.task_id, i.key, i.error", "batch_items i", &move |qb| {
            qb.push(" AND i.state = 'failed' AND i.task_id = ").push_bind(task_id);
        })
        .await?;
    Ok(page.map(FailedRow::detail))
}

#[derive(sqlx::FromRow)]
struct ReviewRow {
    description: Option<String>,
    fields: Option<Value>,
    object_sid: Option<Uuid>,
    version: Option<i32>,
}

pub async fn review_items<'e>(db: impl PgExecutor<'e>, task_id: i64) -> RepoResult<Vec<ReviewItem>> {
    let rows: Vec<ReviewRow> = sqlx::query_as(
        "SELECT description, fields, object_sid, version FROM batch_items
          WHERE task_id = $1 AND description IS NOT NULL ORDER BY idx",
    )
    .bind(task_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewItem {
            description: r.description.unwrap_or_default(),
            fields: r.fields.unwrap_or_else(|| Value::Object(Default::default())),
            sid: r.object_sid,
            version: r.version,
        })
        .collect())
}

/// Sets the status chosen by a review (`approved`, `cancelled`).
pub async fn set_status(db: &mut PgConnection, id: i64, status: &str) -> RepoResult<()> {
    sqlx::query("UPDATE batch_tasks SET status = $2, date_modified = date_trunc('milliseconds', now()) WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(db)
        .await?;
    Ok(())
}

/// Cancels a partner's unfinished tasks (a running one stops at its next chunk). Called first
/// in the transaction that deletes the partner: task rows are locked before any other row, as
/// the worker locks them.
pub async fn cancel_for_partner(db: &mut PgConnection, partner: Uuid) -> RepoResult<()> {
    sqlx::query(
        "UPDATE batch_tasks SET status = 'cancelled', date_modified = date_trunc('milliseconds', now())
          WHERE partner_sid = $1 AND status NOT IN ('cancelled', 'completed')",
    )
    .bind(partner)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete(db: &mut PgConnection, id: i64) -> RepoResult<()> {
    sqlx::query("DELETE FROM batch_tasks WHERE id = $1").bind(id).execute(db).await?;
    Ok(())
}

// ---- The worker's side -------------------------------------------------------------------------

/// Claims the oldest task that has work to do and no live claim: `me` holds it for `lease`
/// seconds, renewed at each chunk. Several workers never claim one task at once.
pub async fn claim<'e>(db: impl PgExecutor<'e>, me: Uuid, lease: u32) -> RepoResult<Option<TaskRow>> {
    Ok(sqlx::query_as(&format!(
        "WITH c AS (
            UPDATE batch_tasks SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2)
             WHERE id = (SELECT id FROM batch_tasks
                          WHERE status IN ('created', 'approved', 'queued', 'running')
                            AND (claimed_until IS NULL OR claimed_until < now())
                          ORDER BY attempts, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING *)
         SELECT {} FROM c t JOIN partners p ON p.partner_sid = t.partner_sid",
        COLUMNS
    ))
    .bind(me)
    .bind(lease as f64)
    .fetch_optional(db)
    .await?)
}

/// Records a failed round on a task: its claim is given up, and it is tried again after a pause
/// that grows with its failures (other tasks go first).
pub async fn round_failed<'e>(db: impl PgExecutor<'e>, id: i64, me: Uuid, error: &str) -> RepoResult<()> {
    sqlx::query(
        "UPDATE batch_tasks SET attempts = attempts + 1, last_error = $3, claimed_by = NULL,
                claimed_until = now() + make_interval(secs => least(5 * (attempts + 1), 300))
          WHERE id = $1 AND claimed_by = $2",
    )
    .bind(id)
    .bind(me)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// Renews `me`'s claim of a task in `status` and locks the task row until the transaction ends;
/// `false` when the claim is lost (taken over, or the task deleted or moved on).
pub async fn renew(db: &mut PgConnection, id: i64, me: Uuid, status: &str, lease: u32) -> RepoResult<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "UPDATE batch_tasks SET claimed_until = now() + make_interval(secs => $4)
          WHERE id = $1 AND claimed_by = $2 AND status = $3 RETURNING id",
    )
    .bind(id)
    .bind(me)
    .bind(status)
    .bind(lease as f64)
    .fetch_optional(db)
    .await?
    .is_some())
}

/// Moves a task claimed by `me` from one status to the next; `total` (with the counters at 0)
/// when given; `release` gives the claim up (the task waits for someone: a review).
pub async fn advance(
    db: &mut PgConnection,
    id: i64,
    me: Uuid,
    from: &str,
    to: &str,
    total: Option<i32>,
    release: bool,
) -> RepoResult<bool> {
    Ok(sqlx::query_scalar::<_, i64>(
        "UPDATE batch_tasks SET status = $4, date_modified = date_trunc('milliseconds', now()),
                total = COALESCE($5, total), processed = COALESCE(processed, CASE WHEN $5 IS NULL THEN NULL ELSE 0 END),
                success = COALESCE(success, CASE WHEN $5 IS NULL THEN NULL ELSE 0 END),
                failure = COALESCE(failure, CASE WHEN $5 IS NULL THEN NULL ELSE 0 END),
                claimed_by = CASE WHEN $6 THEN NULL ELSE claimed_by END,
                claimed_until = CASE WHEN $6 THEN NULL ELSE claimed_until END
          WHERE id = $1 AND claimed_by = $2 AND status = $3 RETURNING id",
    )
    .bind(id)
    .bind(me)
    .bind(from)
    .bind(to)
    .bind(total)
    .bind(release)
    .fetch_optional(db)
    .await?
    .is_some())
}

pub async fn count_items<'e>(db: impl PgExecutor<'e>, task_id: i64) -> RepoResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM batch_items WHERE task_id = $1").bind(task_id).fetch_one(db).await?)
}

/// An entry of a task, as the worker reads it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ItemRow {
    pub idx: i32,
    pub key: Value,
    pub object_sid: Option<Uuid>,
    pub version: Option<i32>,
}

/// The next `n` items after `after` (every item, for the review).
pub async fn items_after(db: &mut PgConnection, task_id: i64, after: i32, n: i64) -> RepoResult<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "SELECT idx, key, object_sid, version FROM batch_items WHERE task_id = $1 AND idx > $2 ORDER BY idx LIMIT $3",
    )
    .bind(task_id)
    .bind(after)
    .bind(n)
    .fetch_all(db)
    .await?)
}

/// The next `n` items not done yet, locked.
pub async fn pending(db: &mut PgConnection, task_id: i64, n: i64) -> RepoResult<Vec<ItemRow>> {
    Ok(sqlx::query_as(
        "SELECT idx, key, object_sid, version FROM batch_items WHERE task_id = $1 AND state = 'pending'
          ORDER BY idx LIMIT $2 FOR UPDATE",
    )
    .bind(task_id)
    .bind(n)
    .fetch_all(db)
    .await?)
}

/// The review of one item: what it will change, in which object, at which version.
pub struct Review {
    pub idx: i32,
    pub description: String,
    pub fields: Value,
    pub sid: Option<Uuid>,
    pub version: Option<i32>,
}

/// Writes the review of items.
pub async fn save_review(db: &mut PgConnection, task_id: i64, items: &[Review]) -> RepoResult<()> {
    sqlx::query(
        "UPDATE batch_items i SET description = u.description, fields = u.fields, object_sid = u.sid, version = u.version
           FROM unnest($2::int[], $3::text[], $4::jsonb[], $5::uuid[], $6::int[]) AS u(idx, description, fields, sid, version)
          WHERE i.task_id = $1 AND i.idx = u.idx",
    )
    .bind(task_id)
    .bind(items.iter().map(|i| i.idx).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.description.clone()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.fields.clone()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.sid).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.version).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}

/// Records the outcome of a chunk of items (`None`: done, else the error body) and moves the
/// task's counters, in the chunk's transaction.
pub async fn finish_chunk(db: &mut PgConnection, task_id: i64, outcomes: &[(i32, Option<Value>)]) -> RepoResult<()> {
    let failed = outcomes.iter().filter(|o| o.1.is_some()).count() as i32;
    let done = outcomes.len() as i32;
    sqlx::query(
        "UPDATE batch_items i SET state = CASE WHEN u.error IS NULL THEN 'done' ELSE 'failed' END, error = u.error
           FROM unnest($2::int[], $3::jsonb[]) AS u(idx, error)
          WHERE i.task_id = $1 AND i.idx = u.idx",
    )
    .bind(task_id)
    .bind(outcomes.iter().map(|o| o.0).collect::<Vec<_>>())
    .bind(outcomes.iter().map(|o| o.1.clone()).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "UPDATE batch_tasks SET processed = processed + $2, success = success + $3, failure = failure + $4,
                date_modified = date_trunc('milliseconds', now())
          WHERE id = $1",
    )
    .bind(task_id)
    .bind(done)
    .bind(done - failed)
    .bind(failed)
    .execute(db)
    .await?;
    Ok(())
}

/// How many tasks are in each status (a small table; for the metrics).
pub async fn count_by_status<'e>(db: impl PgExecutor<'e>) -> RepoResult<Vec<(String, i64)>> {
    Ok(sqlx::query_as("SELECT status, COUNT(*) FROM batch_tasks GROUP BY status").fetch_all(db).await?)
}
