use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::input::{Ignored, Maybe};
use crate::resources::partners::types::Partner;

/// The DID Group object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DidGroup {
    pub callback_url: Option<String>,
    pub did_group_sid: Uuid,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DidGroupInput {
    #[serde(default)]
    pub callback_url: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub did_group_sid: Ignored,
    #[serde(default)]
    pub partner: Ignored,
}

pub const UPDATABLE: &[&str] = &["callback_url", "name"];

crate::resources::partners::ops::carries_partner!(DidGroup);
