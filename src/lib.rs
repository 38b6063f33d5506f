//! carrierx-core: an unofficial, independent, self-hostable clone of the CarrierX Core API v2.

pub mod alloc;
pub mod bootstrap;
pub mod cache;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod http;
pub mod jobs;
pub mod mail;
pub mod reset;
pub mod resources;
pub mod server;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod traffic;

pub use http::router::{build_router, route_table};
pub use state::AppState;
