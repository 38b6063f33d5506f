//! Pure logic with unit tests: scopes catalogue, money, time formats, secrets.

pub mod access_control;
pub mod carriers;
pub mod geo;
pub mod geoip;
pub mod json;
pub mod money;
pub mod patterns;
pub mod phone;
pub mod rating;
pub mod scopes;
pub mod secrets;
pub mod time;
pub mod transformations;
