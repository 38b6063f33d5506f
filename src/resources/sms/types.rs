use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};

/// The SMS object. A message sent with the legacy names (`from_did`, `to_did`) answers with them
/// in place of `from` and `to`.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SmsMessage {
    pub date_changed: Timestamp,
    pub date_created: Timestamp,
    pub date_status_changed: Option<Timestamp>,
    pub direction: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_did: Option<String>,
    pub group_recipients: Vec<String>,
    pub mcc: Option<i32>,
    pub media_urls: Vec<String>,
    pub message: Option<String>,
    pub message_segments: i32,
    pub message_sid: Uuid,
    pub mnc: Option<i32>,
    pub partner_sid: Uuid,
    pub price: Option<Money>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_did: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_data: Option<String>,
}

/// A message to send (`POST /sms/messages`): `from`/`to` or the legacy `from_did`/`to_did`.
/// The read-only attributes of the object may come back in the body; they are ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsMessageInput {
    #[serde(default)]
    pub from: Maybe<String>,
    #[serde(default)]
    pub from_did: Maybe<String>,
    #[serde(default)]
    pub to: Maybe<String>,
    #[serde(default)]
    pub to_did: Maybe<String>,
    #[serde(default)]
    pub message: Maybe<String>,
    #[serde(default)]
    pub media_urls: Maybe<Vec<String>>,
    #[serde(default)]
    pub group_recipients: Maybe<Vec<String>>,
    #[serde(default)]
    pub user_data: Maybe<String>,
    #[serde(default)]
    pub date_changed: Ignored,
    #[serde(default)]
    pub date_created: Ignored,
    #[serde(default)]
    pub date_status_changed: Ignored,
    #[serde(default)]
    pub direction: Ignored,
    #[serde(default)]
    pub mcc: Ignored,
    #[serde(default)]
    pub mnc: Ignored,
    #[serde(default)]
    pub message_segments: Ignored,
    #[serde(default)]
    pub message_sid: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
    #[serde(default)]
    pub price: Ignored,
    #[serde(default)]
    pub status: Ignored,
    #[serde(default, rename = "type")]
    pub kind: Ignored,
}

/// A message from the outside network (`POST /admin/simulator/sms`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundSmsInput {
    #[serde(default)]
    pub from: Maybe<String>,
    #[serde(default)]
    pub from_did: Maybe<String>,
    #[serde(default)]
    pub to: Maybe<String>,
    #[serde(default)]
    pub to_did: Maybe<String>,
    #[serde(default)]
    pub message: Maybe<String>,
    #[serde(default)]
    pub media_urls: Maybe<Vec<String>>,
}

/// The SMS Detail Record object (`/sms/message_drs`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MessageDr {
    pub a2p_campaign: Option<String>,
    pub date_changed: Timestamp,
    pub date_insert: Timestamp,
    pub date_sent: Option<Timestamp>,
    pub date_start: Timestamp,
    pub date_stop: Timestamp,
    pub delay_sent: Option<i32>,
    pub direction: String,
    pub dr_sid: Uuid,
    pub mcc: Option<i32>,
    pub mcc_mnc_price: Option<Money>,
    pub mcc_mnc_rate: Option<Money>,
    pub media_urls: Vec<String>,
    pub message: Option<String>,
    pub message_segments: i32,
    pub mnc: Option<i32>,
    pub number_billing: Option<String>,
    pub number_dst: String,
    pub number_external: Option<String>,
    pub number_group_dst: Vec<String>,
    pub number_src: String,
    pub p2p_nnid: Option<String>,
    pub partner_sid: Uuid,
    pub passthrough_price: Option<Money>,
    pub passthrough_rate: Option<Money>,
    pub price: Option<Money>,
    pub provider: Option<String>,
    pub rate: Option<Money>,
    pub registration_type: Option<String>,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_data: Option<String>,
    pub vendor_error_code: Option<String>,
    pub version: Option<i32>,
}

/// A message detail record for ingestion (`POST /admin/sms/message_drs`): history the simulator
/// did not make. `dr_sid`, `date_*` and the rating are derived when missing.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MessageDrInput {
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub dr_sid: Maybe<String>,
    #[serde(default)]
    pub direction: Maybe<String>,
    #[serde(default)]
    pub number_src: Maybe<String>,
    #[serde(default)]
    pub number_dst: Maybe<String>,
    #[serde(default)]
    pub number_billing: Maybe<String>,
    #[serde(default)]
    pub number_external: Maybe<String>,
    #[serde(default)]
    pub number_group_dst: Maybe<Vec<String>>,
    #[serde(default)]
    pub media_urls: Maybe<Vec<String>>,
    #[serde(default)]
    pub message: Maybe<String>,
    #[serde(default)]
    pub message_segments: Maybe<i32>,
    #[serde(default)]
    pub status: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub user_data: Maybe<String>,
    #[serde(default)]
    pub date_start: Maybe<String>,
    #[serde(default)]
    pub date_sent: Maybe<String>,
    #[serde(default)]
    pub date_stop: Maybe<String>,
    #[serde(default)]
    pub date_insert: Maybe<String>,
    #[serde(default)]
    pub date_changed: Maybe<String>,
    #[serde(default)]
    pub delay_sent: Maybe<i32>,
    #[serde(default)]
    pub mcc: Maybe<i32>,
    #[serde(default)]
    pub mnc: Maybe<i32>,
    #[serde(default)]
    pub rate: Maybe<Money>,
    #[serde(default)]
    pub price: Maybe<Money>,
    #[serde(default)]
    pub mcc_mnc_rate: Maybe<Money>,
    #[serde(default)]
    pub mcc_mnc_price: Maybe<Money>,
    #[serde(default)]
    pub passthrough_rate: Maybe<Money>,
    #[serde(default)]
    pub passthrough_price: Maybe<Money>,
    #[serde(default)]
    pub a2p_campaign: Maybe<String>,
    #[serde(default)]
    pub p2p_nnid: Maybe<String>,
    #[serde(default)]
    pub provider: Maybe<String>,
    #[serde(default)]
    pub registration_type: Maybe<String>,
    #[serde(default)]
    pub vendor_error_code: Maybe<String>,
    #[serde(default)]
    pub version: Maybe<i32>,
}

/// What a message's callback POSTs: its detail record, with the message's SID and its numbers
/// under the names of the SMS object (a receiver branches on `direction` and reads `from`, `to`,
/// `status`, `message`).
#[derive(Clone, Debug, Serialize)]
pub struct MessageCallback {
    #[serde(flatten)]
    pub record: MessageDr,
    pub from: String,
    pub message_sid: Uuid,
    pub to: String,
}

pub const DIRECTIONS: &[&str] = &["any", "inbound", "outbound", "undirected"];
/// The statuses a message passes through on the simulated network.
pub const STATUSES: &[&str] = &["queued", "sent", "delivered", "received", "rejected", "failed"];
pub const TYPES: &[&str] = &["sms", "mms"];

/// The reference's limits: MMS text up to 1,600 characters, up to 10 media items, group MMS up
/// to 10 numbers with the sender; `user_data` (its limit is not documented) up to 1,024.
pub const MAX_MMS_TEXT: usize = 1600;
/// An SMS is sent in at most this many segments (a longer text is refused, as carriers do).
pub const MAX_SMS_SEGMENTS: u32 = 10;
pub const MAX_MEDIA: usize = 10;
pub const MAX_GROUP: usize = 10;
pub const MAX_USER_DATA: usize = 1024;
