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

/// Which prefixes: routing prefixes (`/phonenumber/prefixes`) or LRN prefixes
/// (`/phonenumber/lrn_prefixes`): one object, one table, their own routes and secure-ID name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Routing,
    Lrn,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Routing => "routing",
            Kind::Lrn => "lrn",
        }
    }

    /// What the errors call one.
    pub fn what(self) -> &'static str {
        match self {
            Kind::Routing => "prefix",
            Kind::Lrn => "lrn prefix",
        }
    }
}

/// The LRN Prefix object: a Prefix whose secure ID is `lrn_prefix_sid` (as the reference's samples
/// and paths name it).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct LrnPrefix {
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub lrn_prefix_sid: Uuid,
    pub lrn_sid: Option<Uuid>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    pub prefix: String,
    pub source_trunk_group_sid: Option<Uuid>,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    #[schema(value_type = Vec<crate::domain::transformations::Transformation>)]
    pub transformations: Value,
    pub trunk_group_sid: Option<Uuid>,
}

crate::resources::partners::ops::carries_partner!(LrnPrefix);

impl From<Prefix> for LrnPrefix {
    fn from(x: Prefix) -> Self {
        LrnPrefix {
            attributes: x.attributes,
            callback_url: x.callback_url,
            lrn_prefix_sid: x.prefix_sid,
            lrn_sid: x.lrn_sid,
            name: x.name,
            partner: x.partner,
            partner_sid: x.partner_sid,
            prefix: x.prefix,
            source_trunk_group_sid: x.source_trunk_group_sid,
            string_key_1: x.string_key_1,
            string_key_2: x.string_key_2,
            transformations: x.transformations,
            trunk_group_sid: x.trunk_group_sid,
        }
    }
}

/// The body of an LRN prefix: a prefix's, with `lrn_prefix_sid` read-only.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrnPrefixInput {
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
    pub lrn_prefix_sid: Ignored,
}

impl From<LrnPrefixInput> for PrefixInput {
    fn from(x: LrnPrefixInput) -> Self {
        PrefixInput {
            attributes: x.attributes,
            callback_url: x.callback_url,
            name: x.name,
            partner_sid: x.partner_sid,
            prefix: x.prefix,
            source_trunk_group_sid: x.source_trunk_group_sid,
            string_key_1: x.string_key_1,
            string_key_2: x.string_key_2,
            transformations: x.transformations,
            trunk_group_sid: x.trunk_group_sid,
            ..Default::default()
        }
    }
}
