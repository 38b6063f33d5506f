//! Calls: call detail records (keyset paging in `date_stop` order, admin ingestion rated by the
//! partner's plan; the plans themselves are `rates`).

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::router::Api;

pub const READ: &[Scope] = &[Scope::CallsManage, Scope::CallsRead];

pub fn routes(api: &mut Api) {
    api.route(Method::GET, "/calls/call_drs", READ, handlers::list_call_drs);
    api.route(Method::GET, "/calls/call_drs/{dr_sid}", READ, handlers::get_call_dr);
    api.admin(Method::POST, "/admin/calls/call_drs", &[], handlers::ingest_call_drs);
}
