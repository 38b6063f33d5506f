use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::http::input::{Ignored, Maybe};
use crate::resources::partners::types::Partner;

/// The Prefix object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Prefix {
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub lrn_sid: Option<Uuid>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    pub prefix: String,
    pub prefix_sid: Uuid,
    pub source_trunk_group_sid: Option<Uuid>,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    #[schema(value_type = Vec<crate::domain::transformations::Transformation>)]
    pub transformations: Value,
    pub trunk_group_sid: Option<Uuid>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrefixInput {
    #[serde(default)]
    pub attributes: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub callback_url: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub prefix: Maybe<String>,
    #[serde(default)]
    pub source_trunk_group_sid: Maybe<String>,
    #[serde(default)]
    pub string_key_1: Maybe<String>,
    #[serde(default)]
    pub string_key_2: Maybe<String>,
    #[serde(default)]
    pub transformations: Maybe<Value>,
    #[serde(default)]
    pub trunk_group_sid: Maybe<String>,
    #[serde(default)]
    pub lrn_sid: Ignored,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub prefix_sid: Ignored,
}

pub const UPDATABLE: &[&str] = &[
    "attributes",
    "callback_url",
    "name",
    "prefix",
    "source_trunk_group_sid",
    "string_key_1",
    "string_key_2",
    "transformations",
    "trunk_group_sid",
];

crate::resources::partners::ops::carries_partner!(Prefix);
