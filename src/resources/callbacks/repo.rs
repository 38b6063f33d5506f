use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor, PgPool};
use uuid::Uuid;

use super::types::Callback;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::{RepoResult, Tenancy};

const COLUMNS: &str = "c.id, c.callback_sid, c.partner_sid, c.event, c.object_sid, c.url, c.authority, c.body, c.status, \
    c.attempts, c.attempt_log, c.response_status, c.error, c.date_created, c.date_changed, c.date_delivered, c.next_attempt_at";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CallbackRow {
    pub id: i64,
    pub callback_sid: Uuid,
    pub partner_sid: Uuid,
    pub event: String,
    pub object_sid: Option<Uuid>,
    pub url: String,
    pub authority: String,
    pub body: Value,
    pub status: String,
    pub attempts: i32,
    pub attempt_log: Value,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub date_created: DateTime<Utc>,
    pub date_changed: DateTime<Utc>,
    pub date_delivered: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

impl CallbackRow {
    pub fn to_wire(&self) -> Callback {
        Callback {
            attempt_log: self.attempt_log.clone(),
            attempts: self.attempts,
            body: self.body.clone(),
            callback_sid: self.callback_sid,
            date_changed: self.date_changed.into(),
            date_created: self.date_created.into(),
            date_delivered: self.date_delivered.map(Into::into),
            error: self.error.clone(),
            event: self.event.clone(),
            next_attempt_at: self.next_attempt_at.map(Into::into),
            object_sid: self.object_sid,
            partner_sid: self.partner_sid,
            response_status: self.response_status,
            status: self.status.clone(),
            url: self.url.clone(),
        }
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("attempts", "c.attempts", T::Int),
        Field::new("callback_sid", "c.callback_sid", T::Uuid),
        Field::new("date_changed", "c.date_changed", T::Timestamp),
        Field::new("date_created", "c.date_created", T::Timestamp),
        Field::new("date_delivered", "c.date_delivered", T::Timestamp),
        Field::new("error", "c.error", T::Text),
        Field::new("event", "c.event", T::Text),
        Field::new("next_attempt_at", "c.next_attempt_at", T::Timestamp),
        Field::new("object_sid", "c.object_sid", T::Uuid),
        Field::new("partner_sid", "c.partner_sid", T::Uuid),
        Field::new("response_status", "c.response_status", T::Int),
        Field::new("status", "c.status", T::Text),
        Field::new("url", "c.url", T::Text),
        Field::new("body", "c.body::jsonb", T::Json),
    ],
    sid: "c.callback_sid",
    default_order: "c.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// The callbacks of the caller's tree (every one for admins).
pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<CallbackRow>> {
    let pattern = t.subtree_pattern();
    let admin = t.admin;
    listing::fetch::<CallbackRow, _>(db, &LIST, q, COLUMNS, "callbacks c", &move |qb| {
        if !admin {
            listing::push_in_tree(qb, "c.partner_sid", pattern.clone());
        }
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<(CallbackRow, String)>> {
    #[derive(sqlx::FromRow)]
    struct WithPath {
        #[sqlx(flatten)]
        row: CallbackRow,
        tree_path: String,
    }
    let r: Option<WithPath> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, p.tree_path FROM callbacks c JOIN partners p ON p.partner_sid = c.partner_sid
          WHERE c.callback_sid = $1"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?;
    Ok(r.map(|w| (w.row, w.tree_path)))
}

/// A callback to queue.
#[derive(Clone, Debug)]
pub struct NewCallback {
    pub partner_sid: Uuid,
    pub event: &'static str,
    pub object_sid: Option<Uuid>,
    pub url: String,
    pub authority: String,
    /// The JSON to POST, as sent.
    pub body: String,
    /// Due at once (`pending`), or refused outright (`failed`, with the reason).
    pub refused: Option<String>,
}

/// Queues callbacks in the caller's transaction (due at once: they go out once it commits).
/// Those marked in `leased` are taken by this instance's sender in the same write (their first
/// attempt counted, leased for `lease_ms`, as a claim would do): they are answered, to be handed
/// to the sender once the transaction commits.
pub async fn enqueue(
    db: &mut PgConnection,
    items: &[NewCallback],
    leased: &[bool],
    lease_ms: i64,
) -> RepoResult<Vec<Claimed>> {
    if items.is_empty() {
        return Ok(Vec::new());
    }
    let sids: Vec<Uuid> = items.iter().map(|_| Uuid::new_v4()).collect();
    let rows: Vec<Claimed> = sqlx::query_as(
        "INSERT INTO callbacks (callback_sid, partner_sid, event, object_sid, url, authority, body, status, error,
                                attempts, next_attempt_at)
         SELECT x.sid, x.partner, x.event, x.object, x.url, x.authority, x.body,
                CASE WHEN x.refused IS NULL THEN 'pending' ELSE 'failed' END, x.refused,
                CASE WHEN x.refused IS NULL AND x.leased THEN 1 ELSE 0 END,
                CASE WHEN x.refused IS NOT NULL THEN NULL
                     WHEN x.leased THEN now() + make_interval(secs => $10::double precision / 1000)
                     ELSE now() END
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[]::json[], $8::text[],
                       $9::bool[])
                AS x(sid, partner, event, object, url, authority, body, refused, leased)
      RETURNING id, url, authority, body::text AS body, attempts",
    )
    .bind(&sids)
    .bind(items.iter().map(|i| i.partner_sid).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.event).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.object_sid).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.url.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.authority.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.body.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|i| i.refused.clone()).collect::<Vec<_>>())
    .bind((0..items.len()).map(|i| leased.get(i).copied().unwrap_or(false)).collect::<Vec<_>>())
    .bind(lease_ms as f64)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().filter(|c| c.attempts == 1).collect())
}

/// The SMS callback URL of each (number, partner): the first non-empty of the number's (or short
/// code's) `callback_url`, its DID group's `callback_url`, the partner's `callbacks.sms`.
pub async fn sms_urls<'e>(db: impl PgExecutor<'e>, keys: &[(Option<Uuid>, Uuid)]) -> RepoResult<Vec<Option<String>>> {
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT x.i, COALESCE(NULLIF(d.callback_url, ''), NULLIF(s.callback_url, ''), NULLIF(g.callback_url, ''),
                              NULLIF(p.callbacks->>'sms', ''))
           FROM unnest($1::uuid[], $2::uuid[]) WITH ORDINALITY AS x(did_sid, partner_sid, i)
           JOIN partners p ON p.partner_sid = x.partner_sid
           LEFT JOIN dids d ON d.did_sid = x.did_sid AND d.partner_sid = x.partner_sid
           LEFT JOIN short_codes s ON s.short_code_sid = x.did_sid AND s.partner_sid = x.partner_sid
           LEFT JOIN did_groups g ON g.did_group_sid = COALESCE(d.did_group_sid, s.did_group_sid)
          ORDER BY x.i",
    )
    .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
    .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
    .fetch_all(db)
    .await?;
    let mut urls = vec![None; keys.len()];
    for (i, url) in rows {
        if let Some(slot) = urls.get_mut((i - 1) as usize) {
            *slot = url;
        }
    }
    Ok(urls)
}

/// The partners' `callbacks.<key>` URLs, in the order of `partners`.
pub async fn partner_urls<'e>(
    db: impl PgExecutor<'e>,
    key: &str,
    partners: &[Uuid],
) -> RepoResult<Vec<Option<String>>> {
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT x.i, NULLIF(p.callbacks->>$2, '')
           FROM unnest($1::uuid[]) WITH ORDINALITY AS x(partner_sid, i)
           JOIN partners p ON p.partner_sid = x.partner_sid
          ORDER BY x.i",
    )
    .bind(partners)
    .bind(key)
    .fetch_all(db)
    .await?;
    let mut urls = vec![None; partners.len()];
    for (i, url) in rows {
        if let Some(slot) = urls.get_mut((i - 1) as usize) {
            *slot = url;
        }
    }
    Ok(urls)
}

/// A callback claimed for an attempt.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub url: String,
    pub authority: String,
    /// The JSON to POST, as text.
    pub body: String,
    pub attempts: i32,
}

/// Claims up to `limit` due callbacks (at most `per_receiver` of one receiver, none of the
/// receivers in `busy`) for an attempt each: the attempt is counted and the callback leased for
/// `lease_ms` (another instance takes it over only if this one never reports). Rows another
/// worker is claiming are skipped. Only the `head` callbacks due first are looked at: a claim
/// costs the same however long a busy receiver's backlog is.
pub async fn claim(
    pool: &PgPool,
    busy: &[String],
    per_receiver: i64,
    limit: i64,
    head: i64,
    lease_ms: i64,
) -> RepoResult<Vec<Claimed>> {
    Ok(sqlx::query_as(
        "WITH head AS (
             SELECT id, authority FROM callbacks
              WHERE next_attempt_at <= now()
              ORDER BY next_attempt_at LIMIT $5
         ), ranked AS (
             SELECT id, row_number() OVER (PARTITION BY authority ORDER BY id) AS rank
               FROM head WHERE NOT (authority = ANY($1))
         ), picked AS (
             SELECT c.id FROM callbacks c JOIN ranked r ON r.id = c.id
              WHERE r.rank <= $2 AND c.next_attempt_at <= now()
              LIMIT $3
              FOR UPDATE OF c SKIP LOCKED
         )
         UPDATE callbacks c SET attempts = c.attempts + 1,
                next_attempt_at = now() + make_interval(secs => $4::double precision / 1000)
           FROM picked
          WHERE c.id = picked.id
      RETURNING c.id, c.url, c.authority, c.body::text AS body, c.attempts",
    )
    .bind(busy)
    .bind(per_receiver)
    .bind(limit)
    .bind(lease_ms as f64)
    .bind(head)
    .fetch_all(pool)
    .await?)
}

/// What an attempt came to.
#[derive(Clone, Debug)]
pub struct AttemptResult {
    pub id: i64,
    pub attempt: i32,
    pub response_status: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// Delivered (a 2xx answer).
    pub delivered: bool,
    /// When to try again; `None`: no more attempts (delivered, or given up).
    pub retry_in_ms: Option<i64>,
}

/// A callback as an attempt left it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Recorded {
    pub callback_sid: Uuid,
    pub partner_sid: Uuid,
    pub tree_path: String,
    pub event: String,
    pub url: String,
    pub status: String,
    pub attempts: i32,
    pub response_status: Option<i32>,
    pub error: Option<String>,
}

/// Records attempts: their log entries, and each callback's state after it.
pub async fn record(pool: &PgPool, results: &[AttemptResult]) -> RepoResult<Vec<Recorded>> {
    if results.is_empty() {
        return Ok(Vec::new());
    }
    Ok(sqlx::query_as(
        "UPDATE callbacks c SET
                attempt_log = c.attempt_log || jsonb_build_array(jsonb_build_object(
                    'attempt', x.attempt,
                    'date', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
                    'response_status', x.response_status, 'error', x.error, 'duration_ms', x.duration_ms)),
                response_status = x.response_status,
                error = x.error,
                status = CASE WHEN x.delivered THEN 'delivered' WHEN x.retry_ms IS NULL THEN 'failed' ELSE 'pending' END,
                date_delivered = CASE WHEN x.delivered THEN date_trunc('milliseconds', now()) END,
                date_changed = date_trunc('milliseconds', now()),
                next_attempt_at = CASE WHEN x.retry_ms IS NULL THEN NULL
                                       ELSE now() + make_interval(secs => x.retry_ms::double precision / 1000) END
           FROM unnest($1::bigint[], $2::int[], $3::int[], $4::text[], $5::bigint[], $6::bool[], $7::bigint[])
                AS x(id, attempt, response_status, error, duration_ms, delivered, retry_ms)
          WHERE c.id = x.id AND c.attempts = x.attempt
      RETURNING c.callback_sid, c.partner_sid,
                COALESCE((SELECT p.tree_path FROM partners p WHERE p.partner_sid = c.partner_sid), '') AS tree_path,
                c.event, c.url, c.status, c.attempts, c.response_status, c.error",
    )
    .bind(results.iter().map(|r| r.id).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.attempt).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.response_status).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.error.clone()).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.duration_ms).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.delivered).collect::<Vec<_>>())
    .bind(results.iter().map(|r| r.retry_in_ms).collect::<Vec<_>>())
    .fetch_all(pool)
    .await?)
}
