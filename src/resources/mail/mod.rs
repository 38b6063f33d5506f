//! `GET /admin/mails`: the mail the server has sent or queued (verification links, invoices),
//! for test set-ups that have no mail server. A local extension, admin scopes only.

use axum::extract::State;
use axum::http::Method;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::time::Timestamp;
use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::listing::{self, Field, FieldType as T, ListQuery, ListSpec, RequestUrl};
use crate::http::openapi::Reply;
use crate::http::respond;
use crate::http::router::Api;
use crate::state::AppState;

pub fn routes(api: &mut Api) {
    api.section("mail");
    api.admin(Method::GET, "/admin/mails", &[], list_mails).returns(Reply::list::<MailItem>());
}

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

#[derive(sqlx::FromRow)]
struct MailRow {
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

const COLUMNS: &str = "m.attachment_name, m.body_html, m.body_text, m.date_created, m.date_sent, m.mail_sid, m.partner_sid, m.recipients, m.subject";

const LIST: ListSpec = ListSpec {
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

async fn list_mails(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &LIST)?;
    let page = listing::fetch::<MailRow, _>(&state.pool, &LIST, &q, COLUMNS, "mail_outbox m", &|_| {}).await?;
    respond::list(
        page.map(|r| MailItem {
            attachment_name: r.attachment_name,
            body_html: r.body_html,
            body_text: r.body_text,
            date_created: r.date_created.into(),
            date_sent: r.date_sent.map(Into::into),
            mail_sid: r.mail_sid,
            partner_sid: r.partner_sid,
            recipients: r.recipients,
            subject: r.subject,
        }),
        &q,
        &url,
        "mail_sid",
    )
}
