//! Routing prefixes: a partner's outbound calls to numbers starting with a prefix go to a trunk
//! group (optionally only calls coming from a source trunk group). LRN prefixes are the same
//! object on their own routes (`lrn_prefix_sid`), tying routing to a location routing number.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::resources::dids::{CREATE, DELETE, READ, UPDATE};
use types::{LrnPrefix, Prefix};

pub fn routes(api: &mut Api) {
    let prefix = Reply::object::<Prefix>;
    api.section("prefixes");
    api.route(Method::POST, "/phonenumber/prefixes", CREATE, handlers::create_prefix).returns(prefix());
    api.route(Method::GET, "/phonenumber/prefixes", READ, handlers::list_prefixes)
        .with_related()
        .returns(Reply::list::<Prefix>());
    api.route(Method::GET, "/phonenumber/prefixes/{prefix_sid}", READ, handlers::get_prefix)
        .with_related()
        .returns(prefix());
    api.route(Method::PATCH, "/phonenumber/prefixes/{prefix_sid}", UPDATE, handlers::update_prefix).returns(prefix());
    api.route(Method::PUT, "/phonenumber/prefixes/{prefix_sid}", UPDATE, handlers::update_prefix).returns(prefix());
    api.route(Method::DELETE, "/phonenumber/prefixes/{prefix_sid}", DELETE, handlers::delete_prefix)
        .returns(Reply::no_content());
    let lrn = Reply::object::<LrnPrefix>;
    api.section("lrn_prefixes");
    api.route(Method::POST, "/phonenumber/lrn_prefixes", CREATE, handlers::create_lrn_prefix).returns(lrn());
    api.route(Method::GET, "/phonenumber/lrn_prefixes", READ, handlers::list_lrn_prefixes)
        .with_related()
        .returns(Reply::list::<LrnPrefix>());
    api.route(Method::GET, "/phonenumber/lrn_prefixes/{lrn_prefix_sid}", READ, handlers::get_lrn_prefix)
        .with_related()
        .returns(lrn());
    api.route(Method::PATCH, "/phonenumber/lrn_prefixes/{lrn_prefix_sid}", UPDATE, handlers::update_lrn_prefix)
        .returns(lrn());
    api.route(Method::PUT, "/phonenumber/lrn_prefixes/{lrn_prefix_sid}", UPDATE, handlers::update_lrn_prefix)
        .returns(lrn());
    api.route(Method::DELETE, "/phonenumber/lrn_prefixes/{lrn_prefix_sid}", DELETE, handlers::delete_lrn_prefix)
        .returns(Reply::no_content());
}
