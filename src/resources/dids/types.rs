use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};
use crate::resources::partners::types::Partner;

/// The DID object. The admin-only attributes (`classification_sid`, `date_status_changed`,
/// `external_keys`, `id`, `ocn`, `provider_sid`, `source_trunk_group_sid`, `status`, `type`)
/// show through the admin routes, and `status` on available numbers, as the reference shows.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Did {
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub capabilities: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification_sid: Option<Option<Uuid>>,
    pub country_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_status_changed: Option<Timestamp>,
    pub did_group_sid: Option<Uuid>,
    pub did_sid: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub external_keys: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub in_country_format: Option<String>,
    pub international_format: Option<String>,
    pub locality: Option<String>,
    pub lrn_sid: Option<Uuid>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ocn: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Option<Uuid>,
    pub phonenumber: String,
    pub price: Money,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_sid: Option<Option<Uuid>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_trunk_group_sid: Option<Option<Uuid>>,
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    #[schema(value_type = Vec<crate::domain::transformations::Transformation>)]
    pub transformations: Value,
    pub trunk_group_sid: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none", rename = "type")]
    pub kind: Option<String>,
}

/// A DID in a rent or update body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DidInput {
    #[serde(default)]
    pub attributes: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub callback_url: Maybe<String>,
    #[serde(default)]
    pub classification_sid: Maybe<String>,
    #[serde(default)]
    pub did_group_sid: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub phonenumber: Maybe<String>,
    #[serde(default)]
    pub string_key_1: Maybe<String>,
    #[serde(default)]
    pub string_key_2: Maybe<String>,
    #[serde(default)]
    pub transformations: Maybe<Value>,
    #[serde(default)]
    pub trunk_group_sid: Maybe<String>,
    #[serde(default)]
    pub active_capabilities: Ignored,
    #[serde(default)]
    pub capabilities: Ignored,
    #[serde(default)]
    pub country_code: Ignored,
    #[serde(default)]
    pub date_status_changed: Ignored,
    #[serde(default)]
    pub did_sid: Ignored,
    #[serde(default)]
    pub external_keys: Ignored,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub in_country_format: Ignored,
    #[serde(default)]
    pub international_format: Ignored,
    #[serde(default)]
    pub locality: Ignored,
    #[serde(default)]
    pub lrn_sid: Ignored,
    #[serde(default)]
    pub ocn: Ignored,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
    #[serde(default)]
    pub price: Ignored,
    #[serde(default)]
    pub provider_sid: Ignored,
    #[serde(default)]
    pub source_trunk_group_sid: Ignored,
    #[serde(default)]
    pub state: Ignored,
    #[serde(default)]
    pub status: Ignored,
    #[serde(default, rename = "type")]
    pub kind: Ignored,
}

pub const UPDATABLE: &[&str] = &[
    "attributes",
    "callback_url",
    "did_group_sid",
    "name",
    "string_key_1",
    "string_key_2",
    "transformations",
    "trunk_group_sid",
];
pub const ADMIN_UPDATABLE: &[&str] = &["classification_sid"];

/// A number added to the inventory (`POST /admin/dids`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryInput {
    #[serde(default)]
    pub phonenumber: Maybe<String>,
    #[serde(default)]
    pub capabilities: Maybe<i64>,
    #[serde(default)]
    pub price: Maybe<Money>,
    #[serde(default)]
    pub country_code: Maybe<String>,
    #[serde(default)]
    pub state: Maybe<String>,
    #[serde(default)]
    pub locality: Maybe<String>,
    #[serde(default)]
    pub classification_sid: Maybe<String>,
    #[serde(default)]
    pub provider_sid: Maybe<String>,
    #[serde(default)]
    pub lrn_sid: Maybe<String>,
    #[serde(default)]
    pub ocn: Maybe<String>,
}

crate::resources::partners::ops::carries_partner!(Did);
