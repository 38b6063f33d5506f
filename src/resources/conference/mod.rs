//! App section: conference call detail records (`/app/conference/calls`), keyset pages in
//! `date_stop` order like call records (`after=<call_sid>`); written by the simulated network
//! for calls that reach a conference endpoint, or ingested through the admin route.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::ConferenceCall;

pub const READ: &[Scope] = &[Scope::AppManage, Scope::AppRead];

pub fn routes(api: &mut Api) {
    api.section("app");
    api.route(Method::GET, "/app/conference/calls", READ, handlers::list_calls)
        .returns(Reply::list::<ConferenceCall>());
    api.route(Method::GET, "/app/conference/calls/{call_sid}", READ, handlers::get_call)
        .returns(Reply::object::<ConferenceCall>());
    api.admin(Method::POST, "/admin/app/conference/calls", &[], handlers::ingest_calls)
        .batch_of::<types::ConferenceCallInput>()
        .returns(Reply::one_or_many::<ConferenceCall>());
}
