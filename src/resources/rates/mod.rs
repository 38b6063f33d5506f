//! Rates: the rate lists a partner reads (calls PSTN and VoIP by direction, with their CSV
//! downloads; DID rental) and the admin rate plans and their assignments.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::router::Api;

/// The rate lists list no scopes in any source: any authenticated partner reads its own rates.
pub const RATES: &[Scope] = &[];

pub fn routes(api: &mut Api) {
    api.route(Method::GET, "/calls/rates/inbound/pstn", RATES, handlers::pstn_rates);
    api.route(Method::GET, "/calls/rates/inbound/pstn/csv", RATES, handlers::pstn_rates_csv);
    api.route(Method::GET, "/calls/rates/outbound/pstn", RATES, handlers::pstn_rates);
    api.route(Method::GET, "/calls/rates/outbound/pstn/csv", RATES, handlers::pstn_rates_csv);
    api.route(Method::GET, "/calls/rates/inbound/voip/{sub_type}", RATES, handlers::voip_rates);
    api.route(Method::GET, "/calls/rates/inbound/voip/{sub_type}/csv", RATES, handlers::voip_rates_csv);
    api.route(Method::GET, "/calls/rates/outbound/voip/{sub_type}", RATES, handlers::voip_rates);
    api.route(Method::GET, "/calls/rates/outbound/voip/{sub_type}/csv", RATES, handlers::voip_rates_csv);
    api.admin(Method::POST, "/admin/calls/rates_plans", &[], handlers::create_plan);
    api.admin(Method::GET, "/admin/calls/rates_plans", &[], handlers::list_plans);
    api.admin(Method::GET, "/admin/calls/rates_plans/{rates_plan_sid}", &[], handlers::get_plan);
    api.admin(Method::DELETE, "/admin/calls/rates_plans/{rates_plan_sid}", &[], handlers::delete_plan);
    api.admin(Method::POST, "/admin/calls/rates_plans/{rates_plan_sid}/assignments", &[], handlers::assign_plan);
    api.route(Method::GET, "/phonenumber/rates", crate::resources::dids::READ, handlers::did_rates);
    api.route(Method::GET, "/dids/rates", crate::resources::dids::READ, handlers::did_rates);
}
