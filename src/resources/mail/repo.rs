//! The mail outbox: queued and claimed for delivery (`crate::mail`), and as the admin list reads it.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::types::MailItem;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::mail::Mail;

#[derive(sqlx::FromRow)]
pub struct MailRow {
    attachment_name: Option<String>,
    body_html: Option<String>,
    body_text: String,
    date_created: DateTime<Utc>,
    date_sent: Option<DateTime<Utc>>,
    mail_sid: Uuid,
    partner_sid: Option<Uuid>,
    recipients: Vec<String>,
    subject: String,
}

impl MailRow {
    pub fn into_wire(self) -> MailItem {
        MailItem {
            attachment_name: self.attachment_name,
            body_html: self.body_html,
            body_text: self.body_text,
            date_created: self.date_created.into(),
            date_sent: self.date_sent.map(Into::into),
            mail_sid: self.mail_sid,
            partner_sid: self.partner_sid,
            recipients: self.recipients,
            subject: self.subject,
        }
    }
}

const COLUMNS: &str = "m.attachment_name, m.body_html, m.body_text, m.date_created, m.date_sent, m.mail_sid, m.partner_sid, m.recipients, m.subject";

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("attachment_name", "m.attachment_name", T::Text),
        Field::new("date_created", "m.date_created", T::Timestamp),
        Field::new("date_sent", "m.date_sent", T::Timestamp),
        Field::new("mail_sid", "m.mail_sid", T::Uuid),
        Field::new("partner_sid", "m.partner_sid", T::Uuid),
        Field::new("recipients", "m.recipients", T::TextArray),
        Field::new("subject", "m.subject", T::Text),
    ],
    sid: "m.mail_sid",
    default_order: "m.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<MailRow>> {
    listing::fetch(db, &LIST, q, COLUMNS, "mail_outbox m", &|_| {}).await
}

/// Queues a mail: a new row of the outbox; answers its sid.
pub async fn enqueue<'e>(db: impl PgExecutor<'e>, mail: &Mail) -> RepoResult<Uuid> {
    let sid = Uuid::new_v4();
    let (an, at, ab) = match &mail.attachment {
        Some((n, t, b)) => (Some(n.clone()), Some(t.clone()), Some(b.clone())),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO mail_outbox (mail_sid, partner_sid, recipients, subject, body_text, body_html,
                                  attachment_name, attachment_type, attachment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(sid)
    .bind(mail.partner_sid)
    .bind(&mail.recipients)
    .bind(&mail.subject)
    .bind(&mail.body_text)
    .bind(&mail.body_html)
    .bind(an)
    .bind(at)
    .bind(ab)
    .execute(db)
    .await?;
    Ok(sid)
}

/// A queued mail claimed for delivery.
#[derive(sqlx::FromRow)]
pub struct PendingMail {
    pub id: i64,
    pub mail_sid: Uuid,
    pub recipients: Vec<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    pub attachment: Option<Vec<u8>>,
    pub attempts: i32,
}

/// Claims up to 20 unsent mails that are due for five minutes (rows other claimers hold are
/// skipped), in the order they fell due.
pub async fn claim_due<'e>(db: impl PgExecutor<'e>) -> RepoResult<Vec<PendingMail>> {
    Ok(sqlx::query_as(
        "UPDATE mail_outbox SET next_attempt = now() + interval '5 minutes'
          WHERE id IN (SELECT id FROM mail_outbox WHERE date_sent IS NULL AND next_attempt <= now()
                        ORDER BY next_attempt LIMIT 20 FOR UPDATE SKIP LOCKED)
         RETURNING id, mail_sid, recipients, subject, body_text, body_html, attachment_name, attachment_type, attachment, attempts",
    )
    .fetch_all(db)
    .await?)
}

/// Records that a mail was sent (now).
pub async fn mark_sent<'e>(db: impl PgExecutor<'e>, id: i64) -> RepoResult<()> {
    sqlx::query("UPDATE mail_outbox SET date_sent = date_trunc('milliseconds', now()), attempts = attempts + 1, last_error = NULL WHERE id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records a failed delivery: its error, and the next attempt `backoff_secs` from now.
pub async fn mark_failed<'e>(db: impl PgExecutor<'e>, id: i64, error: &str, backoff_secs: f64) -> RepoResult<()> {
    sqlx::query(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2,
                next_attempt = now() + make_interval(secs => $3) WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(backoff_secs)
    .execute(db)
    .await?;
    Ok(())
}
