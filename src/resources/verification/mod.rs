//! Verification: codes by SMS (`POST /verification/sms`), e-mail addresses confirmed by a link
//! (`POST /verification/email`, `GET /verification/email/tokens/{token}`), and the system's
//! e-mail templates.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use types::{EmailTemplate, VerificationCode, VerificationEmail};

pub const CREATE: &[Scope] = &[Scope::VerificationManage, Scope::VerificationCreate];
pub const READ: &[Scope] = &[Scope::VerificationManage, Scope::VerificationRead];

pub fn routes(api: &mut Api) {
    api.section("verification");
    api.route(Method::POST, "/verification/sms", CREATE, handlers::send_verification_sms)
        .query("from", ArgKind::Text, true, "the sending number, one of the caller's (legacy: from_did)")
        .query("to", ArgKind::Text, true, "the number to verify (legacy: to_did)")
        .query("message", ArgKind::Text, false, "the text before the code (default: Your verification code is)")
        .query("code_length", ArgKind::Integer, false, "characters in the code (default 4)")
        .query("code_type", ArgKind::Text, false, "numeric (default), alphabetical, alphanumeric, ..._lower, ..._upper")
        .query("did_group_sid", ArgKind::Text, false, "a DID group of the caller's")
        .query("allow_short_code", ArgKind::Boolean, false, "send from the group's short code if it has one")
        .returns(Reply::object::<VerificationCode>());
    api.route(Method::POST, "/verification/email", CREATE, handlers::send_verification_email)
        .returns(Reply::object::<VerificationEmail>());
    api.route(Method::GET, "/verification/email/tokens/{token}", READ, handlers::verify_email_token)
        .returns(Reply::object::<VerificationEmail>());
    api.route(Method::GET, "/verification/email/templates", READ, handlers::list_email_templates)
        .returns(Reply::list::<EmailTemplate>());
    api.route(Method::GET, "/verification/email/templates/{template_sid}", READ, handlers::get_email_template)
        .returns(Reply::object::<EmailTemplate>());
}
