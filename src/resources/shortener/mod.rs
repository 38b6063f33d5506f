//! The link shortener: domains and links (`/shortener/...`), and the redirect service that
//! answers the links' short URLs (`redirect.rs`).

mod handlers;
pub mod redirect;
pub mod repo;
pub mod types;

use axum::http::Method;
use axum::routing::get;
use axum::Router;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use crate::state::AppState;
use types::{Domain, Link};

pub const CREATE: &[Scope] = &[Scope::ShortenerManage, Scope::ShortenerCreate];
pub const READ: &[Scope] = &[Scope::ShortenerManage, Scope::ShortenerRead];
pub const UPDATE: &[Scope] = &[Scope::ShortenerManage, Scope::ShortenerUpdate];
pub const DELETE: &[Scope] = &[Scope::ShortenerManage, Scope::ShortenerDelete];

pub fn routes(api: &mut Api) {
    let domain = Reply::object::<Domain>;
    let link = Reply::object::<Link>;
    api.section("shortener");
    api.route(Method::POST, "/shortener/domains", CREATE, handlers::create_domain).returns(domain());
    api.route(Method::GET, "/shortener/domains", READ, handlers::list_domains).returns(Reply::list::<Domain>());
    api.route(Method::GET, "/shortener/domains/{domain_sid}", READ, handlers::get_domain).returns(domain());
    api.route(Method::PATCH, "/shortener/domains/{domain_sid}", UPDATE, handlers::update_domain).returns(domain());
    api.route(Method::PUT, "/shortener/domains/{domain_sid}", UPDATE, handlers::update_domain).returns(domain());
    api.route(Method::DELETE, "/shortener/domains/{domain_sid}", DELETE, handlers::delete_domain)
        .returns(Reply::no_content());
    api.route(Method::POST, "/shortener/links", CREATE, handlers::create_link)
        .query(
            "reuse",
            ArgKind::Boolean,
            false,
            "true: answer the partner's link to the same destination on the domain, if any",
        )
        .returns(link());
    api.route(Method::GET, "/shortener/links", READ, handlers::list_links).returns(Reply::list::<Link>());
    api.route(Method::GET, "/shortener/links/{link_sid}", READ, handlers::get_link).returns(link());
    api.route(Method::PATCH, "/shortener/links/{link_sid}", UPDATE, handlers::update_link).returns(link());
    api.route(Method::PUT, "/shortener/links/{link_sid}", UPDATE, handlers::update_link).returns(link());
    api.route(Method::DELETE, "/shortener/links/{link_sid}", DELETE, handlers::delete_link)
        .returns(Reply::no_content());
}

/// The redirect service's routes (outside the API): `/s/{domain_name}/{short_name}`; short URLs by
/// `Host` are the application's fallback (`redirect::by_host`).
pub fn router() -> Router<AppState> {
    Router::new().route("/s/{domain_name}/{short_name}", get(redirect::by_path))
}
