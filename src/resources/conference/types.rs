use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::http::input::Maybe;

/// The Conference Call Detail Record object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConferenceCall {
    pub address_dst: Option<String>,
    pub address_src: Option<String>,
    pub audio_key: Option<String>,
    pub bridge: Option<String>,
    pub call_sid: Uuid,
    pub custom_call_type: Option<String>,
    pub custom_name: Option<String>,
    pub date_disconnected: Option<Timestamp>,
    pub date_insert: Timestamp,
    pub date_join: Option<Timestamp>,
    pub date_start: Option<Timestamp>,
    pub date_stop: Timestamp,
    pub direction: Option<String>,
    pub disconnect_cause: Option<i32>,
    pub disconnect_originator: Option<String>,
    pub disconnect_reason: Option<String>,
    pub duration: Option<Money>,
    pub duration_meeting: Option<Money>,
    pub endpoint_sid: Option<Uuid>,
    pub meeting_room_sid: Option<Uuid>,
    pub meeting_sid: Option<Uuid>,
    pub node: Option<String>,
    pub number_dst: Option<String>,
    pub number_src: Option<String>,
    pub partner_sid: Uuid,
    pub role: Option<String>,
    pub user_agent: Option<String>,
}

/// A record for ingestion (`POST /admin/app/conference/calls`): `partner_sid` and `date_stop`
/// are required; `call_sid`, `date_insert` and `duration` are derived when missing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConferenceCallInput {
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub call_sid: Maybe<String>,
    #[serde(default)]
    pub date_stop: Maybe<String>,
    #[serde(default)]
    pub date_start: Maybe<String>,
    #[serde(default)]
    pub date_join: Maybe<String>,
    #[serde(default)]
    pub date_disconnected: Maybe<String>,
    #[serde(default)]
    pub date_insert: Maybe<String>,
    #[serde(default)]
    pub address_dst: Maybe<String>,
    #[serde(default)]
    pub address_src: Maybe<String>,
    #[serde(default)]
    pub audio_key: Maybe<String>,
    #[serde(default)]
    pub bridge: Maybe<String>,
    #[serde(default)]
    pub custom_call_type: Maybe<String>,
    #[serde(default)]
    pub custom_name: Maybe<String>,
    #[serde(default)]
    pub direction: Maybe<String>,
    #[serde(default)]
    pub disconnect_cause: Maybe<i32>,
    #[serde(default)]
    pub disconnect_originator: Maybe<String>,
    #[serde(default)]
    pub disconnect_reason: Maybe<String>,
    #[serde(default)]
    pub duration: Maybe<Money>,
    #[serde(default)]
    pub duration_meeting: Maybe<Money>,
    #[serde(default)]
    pub endpoint_sid: Maybe<String>,
    #[serde(default)]
    pub meeting_room_sid: Maybe<String>,
    #[serde(default)]
    pub meeting_sid: Maybe<String>,
    #[serde(default)]
    pub node: Maybe<String>,
    #[serde(default)]
    pub number_dst: Maybe<String>,
    #[serde(default)]
    pub number_src: Maybe<String>,
    #[serde(default)]
    pub role: Maybe<String>,
    #[serde(default)]
    pub user_agent: Maybe<String>,
}

pub const DIRECTIONS: &[&str] = &["inbound", "outbound"];
pub const CALL_TYPES: &[&str] = &["dc", "foreign", "private_asd", "private_call", "recording"];
pub const ROLES: &[&str] = &["host", "participant", "listener"];
