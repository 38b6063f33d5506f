//! Endpoints: where calls go. Hosted applications (conference, flexml, mediator, voicemail, ...),
//! third-party SIP endpoints, and the System Gateway every partner gets.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::Endpoint;

pub const CREATE: &[Scope] = &[Scope::EndpointsManage, Scope::EndpointsCreate];
pub const READ: &[Scope] = &[Scope::EndpointsManage, Scope::EndpointsRead];
pub const UPDATE: &[Scope] = &[Scope::EndpointsManage, Scope::EndpointsUpdate];
pub const DELETE: &[Scope] = &[Scope::EndpointsManage, Scope::EndpointsDelete];

pub fn routes(api: &mut Api) {
    let endpoint = Reply::object::<Endpoint>;
    api.section("endpoints");
    api.with_admin(Method::POST, "/endpoints", CREATE, handlers::create_endpoint).returns(endpoint());
    api.with_admin(Method::GET, "/endpoints", READ, handlers::list_endpoints)
        .with_related()
        .returns(Reply::list::<Endpoint>());
    api.with_admin(Method::GET, "/endpoints/{endpoint_sid}", READ, handlers::get_endpoint)
        .with_related()
        .returns(endpoint());
    api.with_admin(Method::PATCH, "/endpoints/{endpoint_sid}", UPDATE, handlers::update_endpoint).returns(endpoint());
    api.with_admin(Method::PUT, "/endpoints/{endpoint_sid}", UPDATE, handlers::update_endpoint).returns(endpoint());
    api.with_admin(Method::DELETE, "/endpoints/{endpoint_sid}", DELETE, handlers::delete_endpoint)
        .returns(Reply::no_content());
}
