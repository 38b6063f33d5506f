//! Phone numbers (DIDs): the inventory (`available_dids`, admin ingestion), renting, updating
//! and releasing numbers.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use types::Did;

pub const CREATE: &[Scope] = &[Scope::PhonenumberManage, Scope::PhonenumberCreate];
/// The reference prints `partners.*` on the DID read pages, a copy error (decision 6).
pub const READ: &[Scope] = &[Scope::PhonenumberManage, Scope::PhonenumberRead];
pub const UPDATE: &[Scope] = &[Scope::PhonenumberManage, Scope::PhonenumberUpdate];
pub const DELETE: &[Scope] = &[Scope::PhonenumberManage, Scope::PhonenumberDelete];

pub fn routes(api: &mut Api) {
    let (did, dids) = (Reply::object::<Did>, Reply::list::<Did>);
    api.section("dids");
    api.route(Method::GET, "/phonenumber/available_dids", READ, handlers::list_available).returns(dids());
    api.route(Method::GET, "/dids/inventory", READ, handlers::list_available).returns(dids());
    api.route(Method::GET, "/phonenumber/available_dids/{did_sid}", READ, handlers::get_available).returns(did());
    api.route(Method::GET, "/phonenumber/coverage", READ, handlers::coverage)
        .query("group_by", ArgKind::Text, true, "what the counts are by: country_code, locality, npa, npa_nxx or state")
        .returns(Reply::list::<repo::CoverageItem>());
    // The rental rates are plan items like the call rates: served by the rates module.
    api.route(Method::POST, "/phonenumber/dids", CREATE, handlers::rent_did).returns(did());
    api.route(Method::GET, "/phonenumber/dids", READ, handlers::list_dids)
        .with_related()
        .query("trunk_group_sid", ArgKind::Text, false, "only the numbers routed to this trunk group")
        .returns(dids());
    api.route(Method::GET, "/phonenumber/dids/{did_sid}", READ, handlers::get_did).with_related().returns(did());
    api.route(Method::PATCH, "/phonenumber/dids/{did_sid}", UPDATE, handlers::update_did).returns(did());
    api.route(Method::PUT, "/phonenumber/dids/{did_sid}", UPDATE, handlers::update_did).returns(did());
    api.route(Method::DELETE, "/phonenumber/dids/{did_sid}", DELETE, handlers::release_did)
        .returns(Reply::no_content());
    api.admin(Method::POST, "/admin/dids", &[], handlers::add_inventory)
        .batch_of::<types::InventoryInput>()
        .returns(Reply::one_or_many::<Did>());
    api.admin(Method::GET, "/admin/dids", &[], handlers::list_dids).returns(dids());
    api.admin(Method::GET, "/admin/dids/{did_sid}", &[], handlers::get_did).returns(did());
    api.admin(Method::PATCH, "/admin/dids/{did_sid}", &[], handlers::update_did).returns(did());
    api.admin(Method::PUT, "/admin/dids/{did_sid}", &[], handlers::update_did).returns(did());
    api.admin(Method::DELETE, "/admin/dids/{did_sid}", &[], handlers::release_did).returns(Reply::no_content());
}
