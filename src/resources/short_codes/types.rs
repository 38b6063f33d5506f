use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::http::input::{Ignored, Maybe};
use crate::resources::partners::types::Partner;

/// The Short Code object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ShortCode {
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub country_code: Option<String>,
    pub did_group_sid: Option<Uuid>,
    pub locality: Option<String>,
    pub lrn_sid: Option<Uuid>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    pub short_code: String,
    pub short_code_sid: Uuid,
    pub state: Option<String>,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
}

crate::resources::partners::ops::carries_partner!(ShortCode);

/// What a partner changes of its short code.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortCodeInput {
    #[serde(default)]
    pub attributes: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub callback_url: Maybe<String>,
    #[serde(default)]
    pub did_group_sid: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub string_key_1: Maybe<String>,
    #[serde(default)]
    pub string_key_2: Maybe<String>,
    #[serde(default)]
    pub country_code: Ignored,
    #[serde(default)]
    pub locality: Ignored,
    #[serde(default)]
    pub lrn_sid: Ignored,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
    #[serde(default)]
    pub short_code: Ignored,
    #[serde(default)]
    pub short_code_sid: Ignored,
    #[serde(default)]
    pub state: Ignored,
}

pub const UPDATABLE: &[&str] = &["attributes", "callback_url", "did_group_sid", "name", "string_key_1", "string_key_2"];

/// A short code as an admin makes it (`POST /admin/phonenumber/short_codes`): `partner_sid` and
/// `short_code` required.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortCodeIngest {
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub short_code: Maybe<String>,
    #[serde(default)]
    pub short_code_sid: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub attributes: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub callback_url: Maybe<String>,
    #[serde(default)]
    pub country_code: Maybe<String>,
    #[serde(default)]
    pub state: Maybe<String>,
    #[serde(default)]
    pub locality: Maybe<String>,
    #[serde(default)]
    pub did_group_sid: Maybe<String>,
    #[serde(default)]
    pub string_key_1: Maybe<String>,
    #[serde(default)]
    pub string_key_2: Maybe<String>,
}
