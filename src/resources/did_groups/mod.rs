//! DID groups: named sets of a partner's phone numbers (a DID joins one through `did_group_sid`).

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::resources::dids::{CREATE, DELETE, READ, UPDATE};
use types::DidGroup;

pub fn routes(api: &mut Api) {
    let group = Reply::object::<DidGroup>;
    api.section("did_groups");
    api.route(Method::POST, "/phonenumber/did_groups", CREATE, handlers::create_did_group).returns(group());
    api.route(Method::GET, "/phonenumber/did_groups", READ, handlers::list_did_groups)
        .with_related()
        .returns(Reply::list::<DidGroup>());
    api.route(Method::GET, "/phonenumber/did_groups/{did_group_sid}", READ, handlers::get_did_group)
        .with_related()
        .returns(group());
    api.route(Method::PATCH, "/phonenumber/did_groups/{did_group_sid}", UPDATE, handlers::update_did_group)
        .returns(group());
    api.route(Method::PUT, "/phonenumber/did_groups/{did_group_sid}", UPDATE, handlers::update_did_group)
        .returns(group());
    api.route(Method::DELETE, "/phonenumber/did_groups/{did_group_sid}", DELETE, handlers::delete_did_group)
        .returns(Reply::no_content());
}
