//! `GET /admin/mails`: the mail the server has sent or queued (verification links, invoices),
//! for test set-ups that have no mail server. A local extension, admin scopes only.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::openapi::Reply;
use crate::http::router::Api;

pub fn routes(api: &mut Api) {
    api.section("mail");
    api.admin(Method::GET, "/admin/mails", &[], handlers::list_mails).returns(Reply::list::<types::MailItem>());
}
