use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{EmailTemplate, VerificationEmail};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;

const TEMPLATE_COLUMNS: &str = "t.bcc_addresses, t.cc_addresses, t.from_address, t.html_body, t.name, t.subject, \
    t.template_sid, t.text_body, t.to_addresses, t.type";

/// Templates: every partner reads the system's; 1,000 a page by default (the reference's sample).
pub const TEMPLATES: ListSpec = ListSpec {
    fields: &[
        Field::new("bcc_addresses", "t.bcc_addresses", T::Text),
        Field::new("cc_addresses", "t.cc_addresses", T::Text),
        Field::new("from_address", "t.from_address", T::Text),
        Field::new("name", "t.name", T::Text),
        Field::new("subject", "t.subject", T::Text),
        Field::new("template_sid", "t.template_sid", T::Uuid),
        Field::new("to_addresses", "t.to_addresses", T::Text),
        Field::new("type", "t.type", T::Text),
    ],
    sid: "t.template_sid",
    default_order: "t.id",
    default_limit: 1000,
    total: true,
    keyset: None,
};

pub async fn list_templates<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<EmailTemplate>> {
    listing::fetch::<EmailTemplate, _>(db, &TEMPLATES, q, TEMPLATE_COLUMNS, "email_templates t", &|_| {}).await
}

pub async fn get_template<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<EmailTemplate>> {
    Ok(sqlx::query_as(&format!("SELECT {TEMPLATE_COLUMNS} FROM email_templates t WHERE t.template_sid = $1"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

pub async fn template_of_type<'e>(db: impl PgExecutor<'e>, kind: &str) -> RepoResult<Option<EmailTemplate>> {
    Ok(sqlx::query_as(&format!("SELECT {TEMPLATE_COLUMNS} FROM email_templates t WHERE t.type = $1"))
        .bind(kind)
        .fetch_optional(db)
        .await?)
}

#[derive(Debug, sqlx::FromRow)]
pub struct VerificationRow {
    pub partner_sid: Option<Uuid>,
    pub to_address: String,
    pub base_url: String,
    pub email_template_sid: Uuid,
    pub status: String,
}

impl VerificationRow {
    pub fn to_wire(&self) -> VerificationEmail {
        VerificationEmail {
            base_url: self.base_url.clone(),
            email_template_sid: self.email_template_sid,
            partner_sid: self.partner_sid,
            status: self.status.clone(),
            to_address: self.to_address.clone(),
        }
    }
}

pub async fn insert(db: &mut PgConnection, token_hash: &[u8], owner: Uuid, row: &VerificationRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO verification_emails (token_hash, owner_sid, partner_sid, to_address, base_url, email_template_sid, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash)
    .bind(owner)
    .bind(row.partner_sid)
    .bind(&row.to_address)
    .bind(&row.base_url)
    .bind(row.email_template_sid)
    .bind(&row.status)
    .execute(db)
    .await?;
    Ok(())
}

/// Confirms the address of the verification whose token hashes to `token_hash` (once; later
/// reads answer it verified).
pub async fn verify<'e>(db: impl PgExecutor<'e>, token_hash: &[u8]) -> RepoResult<Option<VerificationRow>> {
    Ok(sqlx::query_as(
        "UPDATE verification_emails SET status = 'verified', date_verified = COALESCE(date_verified, now())
          WHERE token_hash = $1
      RETURNING partner_sid, to_address, base_url, email_template_sid, status",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?)
}
