//! The callback outbox: every POST the server owes an application (a message's status, a
//! message received), stored durably, delivered by `jobs::callbacks` on any instance, and listed
//! with its attempts at `GET /admin/simulator/callbacks`.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::Callback;

pub fn routes(api: &mut Api) {
    api.section("simulator");
    api.admin(Method::GET, "/admin/simulator/callbacks", &[], handlers::list_callbacks)
        .returns(Reply::list::<Callback>());
    api.admin(Method::GET, "/admin/simulator/callbacks/{callback_sid}", &[], handlers::get_callback)
        .returns(Reply::object::<Callback>());
}
