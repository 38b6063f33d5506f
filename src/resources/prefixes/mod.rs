//! Routing prefixes: a partner's outbound calls to numbers starting with a prefix go to a trunk
//! group (optionally only calls coming from a source trunk group).

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::router::Api;
use crate::resources::dids::{CREATE, DELETE, READ, UPDATE};

pub fn routes(api: &mut Api) {
    api.route(Method::POST, "/phonenumber/prefixes", CREATE, handlers::create_prefix);
    api.route(Method::GET, "/phonenumber/prefixes", READ, handlers::list_prefixes);
    api.route(Method::GET, "/phonenumber/prefixes/{prefix_sid}", READ, handlers::get_prefix);
    api.route(Method::PATCH, "/phonenumber/prefixes/{prefix_sid}", UPDATE, handlers::update_prefix);
    api.route(Method::PUT, "/phonenumber/prefixes/{prefix_sid}", UPDATE, handlers::update_prefix);
    api.route(Method::DELETE, "/phonenumber/prefixes/{prefix_sid}", DELETE, handlers::delete_prefix);
}
