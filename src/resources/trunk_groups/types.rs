use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::http::input::{Ignored, Maybe};
use crate::resources::access_control::types::Acl;
use crate::resources::partners::types::Partner;

/// The Trunk Group object. `trunks` shows with `with_trunks=true`, `partner` with
/// `with_related=true`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TrunkGroup {
    #[schema(value_type = Vec<Acl>)]
    pub acls: Value,
    #[schema(value_type = Vec<Object>)]
    pub external_handlers: Value,
    pub hard_failure_codes: String,
    pub hard_failure_cooldown: i32,
    pub hard_failure_interval: i32,
    pub hard_failure_last_resort: String,
    pub hard_failure_threshold: i32,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    #[schema(value_type = Option<Object>)]
    pub routing_data: Option<Value>,
    pub routing_type: String,
    #[schema(value_type = Vec<String>)]
    pub sip_options_locations: Value,
    pub sip_options_threshold: i32,
    pub soft_failure_codes: String,
    #[schema(value_type = Vec<crate::domain::transformations::Transformation>)]
    pub transformations: Value,
    pub trunk_group_sid: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trunks: Option<Vec<Trunk>>,
}

/// The Trunk object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Trunk {
    #[schema(value_type = Vec<Acl>)]
    pub acls: Value,
    pub allow_forward: String,
    pub allow_transfer: bool,
    pub asn_mode: String,
    pub call_type: String,
    pub codec: Option<String>,
    pub endpoint_sid: Option<Uuid>,
    pub in_capacity: i32,
    pub in_identity_format: String,
    pub in_identity_mode: String,
    pub in_rfc_4694_mode: String,
    pub location_sid: Option<Uuid>,
    pub name: String,
    pub out_capacity: i32,
    pub out_identity_mode: String,
    pub out_rfc_4694_mode: String,
    pub priority: i32,
    #[schema(value_type = Vec<String>)]
    pub relay_sip_headers: Value,
    #[schema(value_type = Vec<crate::domain::transformations::Transformation>)]
    pub transformations: Value,
    pub trunk_sid: Uuid,
    pub weight: i32,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkGroupInput {
    #[serde(default)]
    pub acls: Maybe<Vec<Acl>>,
    #[serde(default)]
    pub external_handlers: Maybe<Vec<serde_json::Map<String, Value>>>,
    #[serde(default)]
    pub hard_failure_codes: Maybe<String>,
    #[serde(default)]
    pub hard_failure_cooldown: Maybe<i64>,
    #[serde(default)]
    pub hard_failure_interval: Maybe<i64>,
    #[serde(default)]
    pub hard_failure_last_resort: Maybe<String>,
    #[serde(default)]
    pub hard_failure_threshold: Maybe<i64>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub routing_data: Maybe<Value>,
    #[serde(default)]
    pub routing_type: Maybe<String>,
    #[serde(default)]
    pub sip_options_locations: Maybe<Vec<String>>,
    #[serde(default)]
    pub sip_options_threshold: Maybe<i64>,
    #[serde(default)]
    pub soft_failure_codes: Maybe<String>,
    #[serde(default)]
    pub transformations: Maybe<Value>,
    #[serde(default)]
    pub trunks: Maybe<Vec<Value>>,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub trunk_group_sid: Ignored,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrunkInput {
    #[serde(default)]
    pub acls: Maybe<Vec<Acl>>,
    #[serde(default)]
    pub allow_forward: Maybe<String>,
    #[serde(default)]
    pub allow_transfer: Maybe<bool>,
    #[serde(default)]
    pub asn_mode: Maybe<String>,
    #[serde(default)]
    pub call_type: Maybe<String>,
    #[serde(default)]
    pub codec: Maybe<String>,
    #[serde(default)]
    pub endpoint_sid: Maybe<String>,
    #[serde(default)]
    pub in_capacity: Maybe<i64>,
    #[serde(default)]
    pub in_identity_format: Maybe<String>,
    #[serde(default)]
    pub in_identity_mode: Maybe<String>,
    #[serde(default)]
    pub in_rfc_4694_mode: Maybe<String>,
    #[serde(default)]
    pub location_sid: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub out_capacity: Maybe<i64>,
    #[serde(default)]
    pub out_identity_mode: Maybe<String>,
    #[serde(default)]
    pub out_rfc_4694_mode: Maybe<String>,
    #[serde(default)]
    pub priority: Maybe<i64>,
    #[serde(default)]
    pub relay_sip_headers: Maybe<Vec<String>>,
    #[serde(default)]
    pub transformations: Maybe<Value>,
    #[serde(default)]
    pub weight: Maybe<i64>,
    #[serde(default)]
    pub trunk_sid: Ignored,
}

pub const GROUP_UPDATABLE: &[&str] = &[
    "acls",
    "external_handlers",
    "hard_failure_codes",
    "hard_failure_cooldown",
    "hard_failure_interval",
    "hard_failure_last_resort",
    "hard_failure_threshold",
    "name",
    "routing_data",
    "routing_type",
    "sip_options_locations",
    "sip_options_threshold",
    "soft_failure_codes",
    "transformations",
];

pub const TRUNK_UPDATABLE: &[&str] = &[
    "acls",
    "allow_forward",
    "allow_transfer",
    "asn_mode",
    "call_type",
    "codec",
    "endpoint_sid",
    "in_capacity",
    "in_identity_format",
    "in_identity_mode",
    "in_rfc_4694_mode",
    "location_sid",
    "name",
    "out_capacity",
    "out_identity_mode",
    "out_rfc_4694_mode",
    "priority",
    "relay_sip_headers",
    "transformations",
    "weight",
];

pub const LAST_RESORTS: &[&str] = &["first", "reject502", "reject503"];
pub use crate::domain::routing::ROUTING_TYPES;
pub const ALLOW_FORWARD: &[&str] = &["direct", "direct_uri", "disabled", "protected", "reroute"];
pub const ASN_MODES: &[&str] = &["disable", "read", "read_write", "write"];

crate::resources::partners::ops::carries_partner!(TrunkGroup);
