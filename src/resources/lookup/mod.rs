//! Lookup: the details of a phone number (formats, state, carrier, LRN, CNAM) and the place of an
//! IP address (`GET /countries/ip/{ip_address}` too). The LRN and CNAM
//! tables are filled through admin routes (a local extension).

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use types::{CnamRecord, LrnRecord};

/// Every phone number lookup needs `lookup.dids.read`; each detail adds its own scope (checked in
/// the handler: these add up rather than being alternatives).
pub const READ: &[Scope] = &[Scope::LookupDidsRead];

pub fn routes(api: &mut Api) {
    api.section("lookup");
    api.route(Method::GET, "/lookup/dids/{phonenumber}", READ, handlers::lookup_did)
        .query("carrier", ArgKind::Boolean, false, "true: the carrier (needs lookup.dids.allow_carrier)")
        .query("cnam", ArgKind::Boolean, false, "true: the caller name (needs lookup.dids.allow_cnam)")
        .query("cnam_ttl", ArgKind::Integer, false, "the oldest caller name accepted, in seconds")
        .query("lrn", ArgKind::Boolean, false, "true: the local routing number (needs lookup.dids.allow_lrn)")
        .query("country_code", ArgKind::Text, false, "read the number as a national number of this country (alpha-3)")
        .query("guess", ArgKind::Text, false, "north_america (default) or e164: how a number without + is read")
        .returns(Reply::object::<types::PhonenumberLookup>());
    // No scope is printed for IP lookups: the lookup section's read scope is asked.
    api.route(Method::GET, "/lookup/ip_addresses/{ip_address}", READ, handlers::lookup_ip)
        .returns(Reply::object::<types::IpLocation>());
    api.route(Method::GET, "/lookup/lookup/ip_addresses/{ip_address}", READ, handlers::lookup_ip)
        .returns(Reply::object::<types::IpLocation>());
    // The country of an IP address, in the countries section of the reference.
    api.route(Method::GET, "/countries/ip/{ip_address}", crate::resources::countries::READ, handlers::country_by_ip)
        .returns(Reply::object::<types::IpCountry>());
    api.admin(Method::POST, "/admin/lookup/lrns", &[], handlers::put_lrns)
        .batch_of::<types::LrnInput>()
        .returns(Reply::one_or_many::<LrnRecord>());
    api.admin(Method::GET, "/admin/lookup/lrns", &[], handlers::list_lrns).returns(Reply::list::<LrnRecord>());
    api.admin(Method::DELETE, "/admin/lookup/lrns/{phonenumber}", &[], handlers::delete_lrn)
        .returns(Reply::no_content());
    api.admin(Method::POST, "/admin/lookup/cnams", &[], handlers::put_cnams)
        .batch_of::<types::CnamInput>()
        .returns(Reply::one_or_many::<CnamRecord>());
    api.admin(Method::GET, "/admin/lookup/cnams", &[], handlers::list_cnams).returns(Reply::list::<CnamRecord>());
    api.admin(Method::DELETE, "/admin/lookup/cnams/{phonenumber}", &[], handlers::delete_cnam)
        .returns(Reply::no_content());
}
