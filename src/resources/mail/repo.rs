//! The mail outbox, as the admin list reads it.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use super::types::MailItem;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;

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
