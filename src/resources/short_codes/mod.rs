//! Short codes: made by an admin (`POST /admin/phonenumber/short_codes`; CarrierX support makes
//! them, there is no partner create), read and updated by their partner.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::resources::dids::{READ, UPDATE};
use types::ShortCode;

pub fn routes(api: &mut Api) {
    let code = Reply::object::<ShortCode>;
    api.section("short_codes");
    api.route(Method::GET, "/phonenumber/short_codes", READ, handlers::list_short_codes)
        .with_related()
        .returns(Reply::list::<ShortCode>());
    api.route(Method::GET, "/phonenumber/short_codes/{short_code_sid}", READ, handlers::get_short_code)
        .with_related()
        .returns(code());
    api.route(Method::PATCH, "/phonenumber/short_codes/{short_code_sid}", UPDATE, handlers::update_short_code)
        .returns(code());
    api.route(Method::PUT, "/phonenumber/short_codes/{short_code_sid}", UPDATE, handlers::update_short_code)
        .returns(code());
    api.admin(Method::POST, "/admin/phonenumber/short_codes", &[], handlers::ingest_short_codes)
        .batch_of::<types::ShortCodeIngest>()
        .returns(Reply::one_or_many::<ShortCode>());
}
