use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::http::input::Maybe;

/// The Call Detail Record object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CallDr {
    pub cic: Option<String>,
    pub cic_original: Option<String>,
    pub cic_transformed: Option<String>,
    pub date_insert: Timestamp,
    pub date_start: Option<Timestamp>,
    pub date_stop: Timestamp,
    pub date_talk: Option<Timestamp>,
    pub direction: Option<String>,
    pub disconnect_originator: Option<String>,
    pub diversion_dst: Option<String>,
    pub diversion_src: Option<String>,
    pub dr_sid: Uuid,
    pub duration: Option<Money>,
    pub duration_billing: Option<Money>,
    pub endpoint_sid_dst: Option<Uuid>,
    pub endpoint_sid_src: Option<Uuid>,
    pub identity: Option<String>,
    pub ip_dst: Option<String>,
    pub ip_src: Option<String>,
    pub number_billing: Option<String>,
    pub number_dst: Option<String>,
    pub number_dst_original: Option<String>,
    pub number_dst_transformed: Option<String>,
    pub number_external: Option<String>,
    pub number_src: Option<String>,
    pub number_src_original: Option<String>,
    pub number_src_transformed: Option<String>,
    pub partner_sid: Uuid,
    pub price: Option<Money>,
    pub rate: Option<Money>,
    pub sipcallid_dst: Option<String>,
    pub sipcallid_src: Option<String>,
    pub sipcause: Option<String>,
    pub stir_attest: Option<String>,
    pub stir_identity: Option<String>,
    pub stir_orig_id: Option<String>,
    pub stir_signing_entity: Option<String>,
    pub stir_verstat: Option<String>,
    pub trunk_group_sid_dst: Option<Uuid>,
    pub trunk_group_sid_src: Option<Uuid>,
    pub trunk_sid_dst: Option<Uuid>,
    pub trunk_sid_src: Option<Uuid>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub user_data: Option<Value>,
    pub version: Option<i32>,
}

/// A record for ingestion (`POST /admin/calls/call_drs`). Text attributes are copied as given;
/// `dr_sid`, `date_insert`, `duration` and the rating (`rate`, `price`, `duration_billing`) are
/// derived when missing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallDrInput {
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub dr_sid: Maybe<String>,
    #[serde(default)]
    pub date_stop: Maybe<String>,
    #[serde(default)]
    pub date_start: Maybe<String>,
    #[serde(default)]
    pub date_talk: Maybe<String>,
    #[serde(default)]
    pub date_insert: Maybe<String>,
    #[serde(default)]
    pub direction: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub version: Maybe<i32>,
    #[serde(default)]
    pub duration: Maybe<Money>,
    #[serde(default)]
    pub duration_billing: Maybe<Money>,
    #[serde(default)]
    pub price: Maybe<Money>,
    #[serde(default)]
    pub rate: Maybe<Money>,
    #[serde(default)]
    pub user_data: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub endpoint_sid_dst: Maybe<String>,
    #[serde(default)]
    pub endpoint_sid_src: Maybe<String>,
    #[serde(default)]
    pub trunk_group_sid_dst: Maybe<String>,
    #[serde(default)]
    pub trunk_group_sid_src: Maybe<String>,
    #[serde(default)]
    pub trunk_sid_dst: Maybe<String>,
    #[serde(default)]
    pub trunk_sid_src: Maybe<String>,
    #[serde(default)]
    pub cic: Maybe<String>,
    #[serde(default)]
    pub cic_original: Maybe<String>,
    #[serde(default)]
    pub cic_transformed: Maybe<String>,
    #[serde(default)]
    pub disconnect_originator: Maybe<String>,
    #[serde(default)]
    pub diversion_dst: Maybe<String>,
    #[serde(default)]
    pub diversion_src: Maybe<String>,
    #[serde(default)]
    pub identity: Maybe<String>,
    #[serde(default)]
    pub ip_dst: Maybe<String>,
    #[serde(default)]
    pub ip_src: Maybe<String>,
    #[serde(default)]
    pub number_billing: Maybe<String>,
    #[serde(default)]
    pub number_dst: Maybe<String>,
    #[serde(default)]
    pub number_dst_original: Maybe<String>,
    #[serde(default)]
    pub number_dst_transformed: Maybe<String>,
    #[serde(default)]
    pub number_external: Maybe<String>,
    #[serde(default)]
    pub number_src: Maybe<String>,
    #[serde(default)]
    pub number_src_original: Maybe<String>,
    #[serde(default)]
    pub number_src_transformed: Maybe<String>,
    #[serde(default)]
    pub sipcallid_dst: Maybe<String>,
    #[serde(default)]
    pub sipcallid_src: Maybe<String>,
    #[serde(default)]
    pub sipcause: Maybe<String>,
    #[serde(default)]
    pub stir_attest: Maybe<String>,
    #[serde(default)]
    pub stir_identity: Maybe<Value>,
    #[serde(default)]
    pub stir_orig_id: Maybe<String>,
    #[serde(default)]
    pub stir_signing_entity: Maybe<String>,
    #[serde(default)]
    pub stir_verstat: Maybe<String>,
}

/// The text attributes of a record, for the filter allow-list (`repo::LIST`). `with_text_fields!(m)` calls `m!` with the names.
macro_rules! with_text_fields {
    ($then:ident $(, $extra:expr)* $(,)?) => {
        $then!([
        "cic",
        "cic_original",
        "cic_transformed",
        "disconnect_originator",
        "diversion_dst",
        "diversion_src",
        "identity",
        "ip_dst",
        "ip_src",
        "number_billing",
        "number_dst",
        "number_dst_original",
        "number_dst_transformed",
        "number_external",
        "number_src",
        "number_src_original",
        "number_src_transformed",
        "sipcallid_dst",
        "sipcallid_src",
        "sipcause",
        "stir_attest",
        "stir_orig_id",
        "stir_signing_entity",
        "stir_verstat"
        ] $(, $extra)*)
    };
}
pub(crate) use with_text_fields;

pub const DIRECTIONS: &[&str] = &["any", "inbound", "outbound", "undirected"];
pub const TYPES: &[&str] = &["conference_call", "conference_meeting", "mediator", "mms", "sms", "telecom"];

/// A call offered to the simulated network (`POST /admin/simulator/calls`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatedCallInput {
    #[serde(default)]
    pub from: Maybe<String>,
    #[serde(default)]
    pub to: Maybe<String>,
    /// Seconds the call lasts once connected (default 60).
    #[serde(default)]
    pub duration: Maybe<Money>,
    /// `inbound` (default) or `outbound`.
    #[serde(default)]
    pub direction: Maybe<String>,
    /// Outbound: the trunk group the call leaves from.
    #[serde(default)]
    pub trunk_group_sid: Maybe<String>,
    /// SIP headers the call arrives with (for transformations that read or set them).
    #[serde(default)]
    pub headers: Maybe<Map<String, Value>>,
}

/// What became of a simulated call: where it went and every decision on the way.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CallTrace {
    pub call_sid: Uuid,
    /// `completed`, `rejected` or `failed`.
    pub status: String,
    /// The SIP code the call ended with (200 when it connected).
    pub sip_code: u16,
    pub direction: String,
    /// The numbers as offered, and as the transformations left them.
    pub from: String,
    pub to: String,
    pub from_transformed: String,
    pub to_transformed: String,
    pub duration: Money,
    pub partner_sid: Option<Uuid>,
    pub did_sid: Option<Uuid>,
    pub prefix_sid: Option<Uuid>,
    pub trunk_group_sid: Option<Uuid>,
    pub trunk_sid: Option<Uuid>,
    pub endpoint_sid: Option<Uuid>,
    /// The call detail record written (completed calls).
    pub dr_sid: Option<Uuid>,
    /// The conference call record written (a call to a conference endpoint).
    pub conference_call_sid: Option<Uuid>,
    pub rate: Option<Money>,
    pub price: Option<Money>,
    pub date_start: Timestamp,
    pub date_stop: Option<Timestamp>,
    /// Why the call did not connect.
    pub reason: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub steps: Vec<crate::domain::call_path::Step>,
}
