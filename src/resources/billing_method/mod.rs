//! A partner's billing method: register (one per partner; registering again replaces it), get,
//! delete. The card number is kept as its last four digits; the CID is never stored.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::BillingMethod;

pub const CREATE: &[Scope] = &[Scope::PartnersBillingMethodManage, Scope::PartnersBillingMethodCreate];
pub const READ: &[Scope] = &[Scope::PartnersBillingMethodManage, Scope::PartnersBillingMethodRead];
pub const DELETE: &[Scope] = &[Scope::PartnersBillingMethodManage, Scope::PartnersBillingMethodDelete];

pub fn routes(api: &mut Api) {
    api.section("billing_method");
    api.route(Method::POST, "/partners/{partner_sid}/billing_method", CREATE, handlers::register_billing_method)
        .returns(Reply::object::<BillingMethod>());
    api.with_admin(Method::GET, "/partners/{partner_sid}/billing_method", READ, handlers::get_billing_method)
        .returns(Reply::object::<BillingMethod>());
    api.route(Method::DELETE, "/partners/{partner_sid}/billing_method", DELETE, handlers::delete_billing_method)
        .returns(Reply::no_content());
}
