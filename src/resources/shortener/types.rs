use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};

/// The Domain object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Domain {
    pub domain_name: String,
    pub domain_sid: Uuid,
    pub expired_mode: String,
    pub expired_page: Option<String>,
    pub expired_status_code: Option<i32>,
    pub minimum_length: i32,
    pub not_found_mode: String,
    pub not_found_page: Option<String>,
    pub not_found_status_code: Option<i32>,
    pub partner_sid: Uuid,
    pub scope: String,
    pub secure: String,
    pub suffix_pattern: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainInput {
    #[serde(default)]
    pub domain_name: Maybe<String>,
    #[serde(default)]
    pub expired_mode: Maybe<String>,
    #[serde(default)]
    pub expired_page: Maybe<String>,
    #[serde(default)]
    pub expired_status_code: Maybe<i64>,
    #[serde(default)]
    pub minimum_length: Maybe<i64>,
    #[serde(default)]
    pub not_found_mode: Maybe<String>,
    #[serde(default)]
    pub not_found_page: Maybe<String>,
    #[serde(default)]
    pub not_found_status_code: Maybe<i64>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub scope: Maybe<String>,
    #[serde(default)]
    pub secure: Maybe<String>,
    #[serde(default)]
    pub suffix_pattern: Maybe<String>,
    #[serde(default)]
    pub domain_sid: Ignored,
}

pub const DOMAIN_UPDATABLE: &[&str] = &[
    "domain_name",
    "expired_mode",
    "expired_page",
    "expired_status_code",
    "minimum_length",
    "not_found_mode",
    "not_found_page",
    "not_found_status_code",
    "scope",
    "secure",
    "suffix_pattern",
];

/// The Link object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub date_accessed: Option<Timestamp>,
    pub date_created: Timestamp,
    pub destination_url: String,
    pub domain_sid: Uuid,
    pub hits: i64,
    pub link_sid: Uuid,
    pub maximum_ttl: i32,
    pub mode: String,
    pub partner_sid: Uuid,
    pub short_name: String,
    pub url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkInput {
    #[serde(default)]
    pub destination_url: Maybe<String>,
    #[serde(default)]
    pub domain_sid: Maybe<String>,
    /// Seconds the link lives (-1: forever); the reference's sample sends it as a string.
    #[serde(default)]
    pub maximum_ttl: Maybe<Value>,
    #[serde(default)]
    pub mode: Maybe<String>,
    #[serde(default)]
    pub short_name: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub date_accessed: Ignored,
    #[serde(default)]
    pub date_created: Ignored,
    #[serde(default)]
    pub hits: Ignored,
    #[serde(default)]
    pub link_sid: Ignored,
    #[serde(default)]
    pub url: Ignored,
}

pub const LINK_UPDATABLE: &[&str] = &["destination_url", "maximum_ttl", "mode", "short_name"];

pub const MODES: &[&str] = &["proxy_pass", "redirect_permanent", "redirect_temporary"];
pub const SCOPES: &[&str] = &["children"];
pub const SECURE: &[&str] = &["disabled", "required"];
