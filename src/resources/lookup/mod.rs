//! Lookup: the details of a phone number (formats, state, carrier, LRN, CNAM) and the place of an
//! IP address (`GET /countries/ip/{ip_address}` too). The LRN and CNAM
//! tables are filled through admin routes (a local extension).

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::router::Api;

/// Every phone number lookup needs `lookup.dids.read`; each detail adds its own scope (checked in
/// the handler: these add up rather than being alternatives).
pub const READ: &[Scope] = &[Scope::LookupDidsRead];

pub fn routes(api: &mut Api) {
    api.route(Method::GET, "/lookup/dids/{phonenumber}", READ, handlers::lookup_did);
    // No scope is printed for IP lookups: the lookup section's read scope is asked.
    api.route(Method::GET, "/lookup/ip_addresses/{ip_address}", READ, handlers::lookup_ip);
    api.route(Method::GET, "/lookup/lookup/ip_addresses/{ip_address}", READ, handlers::lookup_ip);
    // The country of an IP address, in the countries section of the reference.
    api.route(Method::GET, "/countries/ip/{ip_address}", crate::resources::countries::READ, handlers::country_by_ip);
    api.admin(Method::POST, "/admin/lookup/lrns", &[], handlers::put_lrns);
    api.admin(Method::GET, "/admin/lookup/lrns", &[], handlers::list_lrns);
    api.admin(Method::DELETE, "/admin/lookup/lrns/{phonenumber}", &[], handlers::delete_lrn);
    api.admin(Method::POST, "/admin/lookup/cnams", &[], handlers::put_cnams);
    api.admin(Method::GET, "/admin/lookup/cnams", &[], handlers::list_cnams);
    api.admin(Method::DELETE, "/admin/lookup/cnams/{phonenumber}", &[], handlers::delete_cnam);
}
