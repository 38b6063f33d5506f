//! Partners: create, list, get, update (PATCH/PUT), delete, with `/admin` variants; and the
//! e-mail verification link of this server's design (`GET /email_verifications/{token}`).

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;

pub const CREATE: &[Scope] = &[Scope::PartnersManage, Scope::PartnersCreate];
pub const READ: &[Scope] = &[Scope::PartnersManage, Scope::PartnersRead];
pub const UPDATE: &[Scope] = &[Scope::PartnersManage, Scope::PartnersUpdate];
pub const DELETE: &[Scope] = &[Scope::PartnersManage, Scope::PartnersDelete];

pub fn routes(api: &mut Api) {
    let partner = Reply::object::<types::Partner>;
    api.section("partners");
    api.with_admin(Method::POST, "/partners", CREATE, handlers::create_partner).returns(partner());
    api.with_admin(Method::GET, "/partners", READ, handlers::list_partners).returns(Reply::list::<types::Partner>());
    api.with_admin(Method::GET, "/partners/{partner_sid}", READ, handlers::get_partner).returns(partner());
    api.with_admin(Method::PATCH, "/partners/{partner_sid}", UPDATE, handlers::update_partner).returns(partner());
    api.with_admin(Method::PUT, "/partners/{partner_sid}", UPDATE, handlers::update_partner).returns(partner());
    api.route(Method::DELETE, "/partners/{partner_sid}", DELETE, handlers::delete_partner).returns(Reply::no_content());
    api.public(Method::GET, "/email_verifications/{token}", handlers::verify_email)
        .returns(Reply::object::<types::EmailVerified>());
}
