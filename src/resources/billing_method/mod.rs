//! A partner's billing method: register (one per partner; registering again replaces it), get,
//! delete. The card number is kept as its last four digits; the CID is never stored.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::router::Api;

pub const CREATE: &[Scope] = &[Scope::PartnersBillingMethodManage, Scope::PartnersBillingMethodCreate];
pub const READ: &[Scope] = &[Scope::PartnersBillingMethodManage, Scope::PartnersBillingMethodRead];
pub const DELETE: &[Scope] = &[Scope::PartnersBillingMethodManage, Scope::PartnersBillingMethodDelete];

pub fn routes(api: &mut Api) {
    api.route(Method::POST, "/partners/{partner_sid}/billing_method", CREATE, handlers::register_billing_method);
    api.with_admin(Method::GET, "/partners/{partner_sid}/billing_method", READ, handlers::get_billing_method);
    api.route(Method::DELETE, "/partners/{partner_sid}/billing_method", DELETE, handlers::delete_billing_method);
}
