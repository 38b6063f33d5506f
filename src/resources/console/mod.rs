//! The console (`GET /console`): a page for a person developing against carrierx-core, showing
//! the simulated network's traffic live (`GET /console/events`, server-sent events): messages and
//! their statuses, calls and their traces, callbacks and their receivers' answers, charges.
//! Access with a partner's credentials (Basic or Bearer): a partner sees its own tree's traffic,
//! each kind only with a scope that reads it; admins see everyone's. The page and everything it
//! needs are in the binary.

pub mod handlers;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

/// `/console` and `/console/events` (outside the API: not CarrierX routes).
pub fn router() -> Router<AppState> {
    Router::new().route("/console", get(handlers::page)).route("/console/events", get(handlers::events))
}
