//! The HTTP layer: the route table, errors, extractors, authentication, the list engine,
//! PATCH rules and responses.

pub mod auth;
pub mod error;
pub mod extract;
pub mod input;
pub mod listing;
pub mod metrics;
pub mod openapi;
pub mod patch;
pub mod respond;
pub mod router;
