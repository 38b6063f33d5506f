//! The wire contract of the mail list.

use serde::Serialize;
use uuid::Uuid;

use crate::domain::time::Timestamp;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MailItem {
    pub attachment_name: Option<String>,
    pub body_html: Option<String>,
    pub body_text: String,
    pub date_created: Timestamp,
    pub date_sent: Option<Timestamp>,
    pub mail_sid: Uuid,
    pub partner_sid: Option<Uuid>,
    pub recipients: Vec<String>,
    pub subject: String,
}
