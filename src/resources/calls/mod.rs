//! Calls: call detail records (keyset paging in `date_stop` order, admin ingestion with rating),
//! rate plans (admin) and the rate lists a partner reads, with their CSV downloads.

mod handlers;
pub mod rates;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use rates::RatePlan;
use types::CallDr;

pub const READ: &[Scope] = &[Scope::CallsManage, Scope::CallsRead];
/// The rate lists list no scopes in any source: any authenticated partner reads its own rates.
pub const RATES: &[Scope] = &[];

pub fn routes(api: &mut Api) {
    let (rate_list, csv) = (Reply::list::<rates::RateCall>, || Reply::document("text/csv"));
    api.section("calls");
    api.route(Method::GET, "/calls/call_drs", READ, handlers::list_call_drs).returns(Reply::list::<CallDr>());
    api.route(Method::GET, "/calls/call_drs/{dr_sid}", READ, handlers::get_call_dr).returns(Reply::object::<CallDr>());
    api.admin(Method::POST, "/admin/calls/call_drs", &[], handlers::ingest_call_drs)
        .batch_of::<types::CallDrInput>()
        .returns(Reply::one_or_many::<CallDr>());
    api.route(Method::GET, "/calls/rates/inbound/pstn", RATES, rates::pstn_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/inbound/pstn/csv", RATES, rates::pstn_rates_csv).returns(csv());
    api.route(Method::GET, "/calls/rates/outbound/pstn", RATES, rates::pstn_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/outbound/pstn/csv", RATES, rates::pstn_rates_csv).returns(csv());
    api.route(Method::GET, "/calls/rates/inbound/voip/{sub_type}", RATES, rates::voip_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/inbound/voip/{sub_type}/csv", RATES, rates::voip_rates_csv).returns(csv());
    api.route(Method::GET, "/calls/rates/outbound/voip/{sub_type}", RATES, rates::voip_rates).returns(rate_list());
    api.route(Method::GET, "/calls/rates/outbound/voip/{sub_type}/csv", RATES, rates::voip_rates_csv).returns(csv());
    api.admin(Method::POST, "/admin/calls/rates_plans", &[], rates::create_plan).returns(Reply::object::<RatePlan>());
    api.admin(Method::GET, "/admin/calls/rates_plans", &[], rates::list_plans).returns(Reply::list::<RatePlan>());
    api.admin(Method::GET, "/admin/calls/rates_plans/{rates_plan_sid}", &[], rates::get_plan)
        .returns(Reply::object::<RatePlan>());
    api.admin(Method::DELETE, "/admin/calls/rates_plans/{rates_plan_sid}", &[], rates::delete_plan)
        .returns(Reply::no_content());
    api.admin(Method::POST, "/admin/calls/rates_plans/{rates_plan_sid}/assignments", &[], rates::assign_plan)
        .returns(Reply::object::<rates::PlanAssignment>());
}
