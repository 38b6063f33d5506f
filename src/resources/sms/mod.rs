//! SMS: messages (`/sms/messages`) sent and received on the simulated network, and their detail
//! records (`/sms/message_drs`, keyset pages like call records); `POST /admin/simulator/sms`
//! brings a message in from the outside world.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;
mod writer;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::{MessageDr, SmsMessage};

pub const CREATE: &[Scope] = &[Scope::SmsManage, Scope::SmsCreate];
pub const READ: &[Scope] = &[Scope::SmsManage, Scope::SmsRead];

pub fn routes(api: &mut Api) {
    let message = Reply::object::<SmsMessage>;
    api.section("sms");
    api.route(Method::POST, "/sms/messages", CREATE, handlers::send_message).returns(message());
    api.route(Method::GET, "/sms/messages", READ, handlers::list_messages).returns(Reply::list::<SmsMessage>());
    api.route(Method::GET, "/sms/messages/{message_sid}", READ, handlers::get_message).returns(message());
    api.route(Method::GET, "/sms/message_drs", READ, handlers::list_message_drs).returns(Reply::list::<MessageDr>());
    api.route(Method::GET, "/sms/message_drs/{dr_sid}", READ, handlers::get_message_dr)
        .returns(Reply::object::<MessageDr>());
    api.admin(Method::POST, "/admin/sms/message_drs", &[], handlers::ingest_message_drs)
        .batch_of::<types::MessageDrInput>()
        .returns(Reply::one_or_many::<MessageDr>());
    api.section("simulator");
    api.admin(Method::POST, "/admin/simulator/sms", &[], handlers::simulate_inbound).returns(message());
}
