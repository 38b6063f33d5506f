//! Pure logic with unit tests, no I/O: scopes catalogue, money, time formats, secrets, phone
//! numbers, transformations, access-control decisions, rating.

pub mod access_control;
pub mod call_path;
pub mod callback_url;
pub mod carriers;
pub mod geo;
pub mod geoip;
pub mod json;
pub mod money;
pub mod patterns;
pub mod phone;
pub mod rating;
pub mod routing;
pub mod scopes;
pub mod secrets;
pub mod sms;
pub mod time;
pub mod transformations;

/// A boolean as query strings and filters spell it: true/false, 1/0, yes/no (any case).
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}
