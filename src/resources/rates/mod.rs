//! Rates: the rate lists a partner reads (calls PSTN and VoIP by direction, with their CSV
//! downloads; DID rental) and the admin rate plans and their assignments.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::resources::dids;
use types::{DidRate, PlanAssignment, RateCall, RatePlan};

/// The rate lists list no scopes in any source: any authenticated partner reads its own rates.
pub const RATES: &[Scope] = &[];

pub fn routes(api: &mut Api) {
    // The reference lists the rates in the calls section (the DID rates too).
    api.section("calls");
    let (rate_list, csv) = (Reply::list::<RateCall>, || Reply::document("text/csv"));
    api.route(Method::GET, "/calls/rates/inbound/pstn", RATES, handlers::pstn_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/inbound/pstn/csv", RATES, handlers::pstn_rates)
        .summary("pstn rates csv")
        .returns(csv());
    api.route(Method::GET, "/calls/rates/outbound/pstn", RATES, handlers::pstn_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/outbound/pstn/csv", RATES, handlers::pstn_rates)
        .summary("pstn rates csv")
        .returns(csv());
    api.route(Method::GET, "/calls/rates/inbound/voip/{sub_type}", RATES, handlers::voip_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/inbound/voip/{sub_type}/csv", RATES, handlers::voip_rates)
        .summary("voip rates csv")
        .returns(csv());
    api.route(Method::GET, "/calls/rates/outbound/voip/{sub_type}", RATES, handlers::voip_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/outbound/voip/{sub_type}/csv", RATES, handlers::voip_rates)
        .summary("voip rates csv")
        .returns(csv());
    api.admin(Method::POST, "/admin/calls/rates_plans", &[], handlers::create_plan)
        .returns(Reply::object::<RatePlan>());
    api.admin(Method::GET, "/admin/calls/rates_plans", &[], handlers::list_plans).returns(Reply::list::<RatePlan>());
    api.admin(Method::GET, "/admin/calls/rates_plans/{rates_plan_sid}", &[], handlers::get_plan)
        .returns(Reply::object::<RatePlan>());
    api.admin(Method::DELETE, "/admin/calls/rates_plans/{rates_plan_sid}", &[], handlers::delete_plan)
        .returns(Reply::no_content());
    api.admin(Method::POST, "/admin/calls/rates_plans/{rates_plan_sid}/assignments", &[], handlers::assign_plan)
        .returns(Reply::object::<PlanAssignment>());
    api.route(Method::GET, "/phonenumber/rates", dids::READ, handlers::did_rates).returns(Reply::list::<DidRate>());
    api.route(Method::GET, "/dids/rates", dids::READ, handlers::did_rates).returns(Reply::list::<DidRate>());
}
