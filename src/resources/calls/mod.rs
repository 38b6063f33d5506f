//! Calls: call detail records (keyset paging in `date_stop` order, admin ingestion rated by the
//! partner's plan; the plans themselves are `rates`).

mod handlers;
pub mod network;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::CallDr;

pub const READ: &[Scope] = &[Scope::CallsManage, Scope::CallsRead];

pub fn routes(api: &mut Api) {
    api.section("calls");
    api.route(Method::GET, "/calls/call_drs", READ, handlers::list_call_drs).returns(Reply::list::<CallDr>());
    api.route(Method::GET, "/calls/call_drs/{dr_sid}", READ, handlers::get_call_dr).returns(Reply::object::<CallDr>());
    api.admin(Method::POST, "/admin/calls/call_drs", &[], handlers::ingest_call_drs)
        .batch_of::<types::CallDrInput>()
        .returns(Reply::one_or_many::<CallDr>());
    api.section("simulator");
    api.admin(Method::POST, "/admin/simulator/calls", &[], handlers::simulate_call)
        .returns(Reply::object::<types::CallTrace>());
}
