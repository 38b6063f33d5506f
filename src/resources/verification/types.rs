use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::input::{Ignored, Maybe};

/// The answer of `POST /verification/sms`: the code sent, and the message that carried it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VerificationCode {
    pub code: String,
    pub message_sid: Uuid,
}

/// The Verification Email object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VerificationEmail {
    pub base_url: String,
    pub email_template_sid: Uuid,
    pub partner_sid: Option<Uuid>,
    /// `created`, `sent_email` or `verified`.
    pub status: String,
    pub to_address: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerificationEmailInput {
    #[serde(default)]
    pub base_url: Maybe<String>,
    #[serde(default)]
    pub email_template_sid: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub to_address: Maybe<String>,
    #[serde(default)]
    pub status: Ignored,
}

/// The Email Template object (system-defined, read-only).
impl crate::cache::Cacheable for EmailTemplate {
    const TABLE: &'static str = "email_templates";
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema, sqlx::FromRow)]
pub struct EmailTemplate {
    pub bcc_addresses: Option<String>,
    pub cc_addresses: Option<String>,
    pub from_address: Option<String>,
    pub html_body: Option<String>,
    pub name: String,
    pub subject: String,
    pub template_sid: Uuid,
    pub text_body: String,
    pub to_addresses: Option<String>,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: String,
}

pub const CODE_TYPES: &[&str] = &[
    "alphabetical",
    "alphabetical_lower",
    "alphabetical_upper",
    "alphanumeric",
    "alphanumeric_lower",
    "alphanumeric_upper",
    "numeric",
];
