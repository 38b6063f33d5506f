use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};
use crate::resources::partners::types::Partner;

/// The Application object. Its secrets (`apns_p8`, `apns_p12`, `apns_p12_password`,
/// `google_credentials`, and the old `google_key`) are shown masked (`****` and their last four
/// characters), never in full.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Application {
    pub apns_id: Option<String>,
    pub apns_key_id: Option<String>,
    pub apns_p8: Option<String>,
    pub apns_p12: Option<String>,
    pub apns_p12_expiration: Option<Timestamp>,
    pub apns_p12_password: Option<String>,
    pub apns_team_id: Option<String>,
    pub apns_topic: Option<String>,
    pub application_sid: Uuid,
    pub google_credentials: Option<String>,
    /// The old site's Firebase fields, shown when set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub google_key: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
}

crate::resources::partners::ops::carries_partner!(Application, Device);

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationInput {
    #[serde(default)]
    pub apns_id: Maybe<String>,
    #[serde(default)]
    pub apns_key_id: Maybe<String>,
    #[serde(default)]
    pub apns_p8: Maybe<String>,
    #[serde(default)]
    pub apns_p12: Maybe<String>,
    #[serde(default)]
    pub apns_p12_password: Maybe<String>,
    #[serde(default)]
    pub apns_team_id: Maybe<String>,
    #[serde(default)]
    pub apns_topic: Maybe<String>,
    #[serde(default)]
    pub google_credentials: Maybe<String>,
    #[serde(default)]
    pub google_id: Maybe<String>,
    #[serde(default)]
    pub google_key: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub apns_p12_expiration: Ignored,
    #[serde(default)]
    pub application_sid: Ignored,
    #[serde(default)]
    pub partner: Ignored,
}

pub const APPLICATION_UPDATABLE: &[&str] = &[
    "apns_id",
    "apns_key_id",
    "apns_p8",
    "apns_p12",
    "apns_p12_password",
    "apns_team_id",
    "apns_topic",
    "google_credentials",
    "google_id",
    "google_key",
    "name",
];

/// The secret attributes of an application.
pub const SECRETS: &[&str] = &["apns_p8", "apns_p12", "apns_p12_password", "google_credentials", "google_key"];

/// The Device object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Device {
    pub application_sid: Uuid,
    pub application_version: String,
    pub device_sid: Uuid,
    pub environment: String,
    pub os_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    pub token: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInput {
    #[serde(default)]
    pub application_sid: Maybe<String>,
    #[serde(default)]
    pub application_version: Maybe<String>,
    #[serde(default)]
    pub environment: Maybe<String>,
    #[serde(default)]
    pub os_version: Maybe<String>,
    #[serde(default)]
    pub token: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub device_sid: Ignored,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
}

pub const DEVICE_UPDATABLE: &[&str] = &["application_version", "environment", "os_version", "token"];
pub const DEVICE_TYPES: &[&str] = &["android", "ios", "web"];
pub const ENVIRONMENTS: &[&str] = &["development", "production"];

/// A notification to send (`POST /push/notifications`): not stored as an object.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationInput {
    #[serde(default)]
    pub recipients: Maybe<Vec<String>>,
    #[serde(default)]
    pub title: Maybe<String>,
    #[serde(default)]
    pub body: Maybe<String>,
    #[serde(default)]
    pub data: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub ttl: Maybe<i64>,
    #[serde(default)]
    pub priority: Maybe<String>,
    #[serde(default)]
    pub collapse_key: Maybe<String>,
    #[serde(default)]
    pub android_click_action: Maybe<String>,
    #[serde(default)]
    pub android_icon: Maybe<String>,
    #[serde(default)]
    pub android_sound: Maybe<String>,
    #[serde(default)]
    pub android_tag: Maybe<String>,
    #[serde(default)]
    pub ios_badge: Maybe<i64>,
    #[serde(default)]
    pub ios_category: Maybe<String>,
    #[serde(default)]
    pub ios_collapse_id: Maybe<String>,
    #[serde(default)]
    pub ios_content_available: Maybe<bool>,
    #[serde(default)]
    pub ios_mutable_content: Maybe<bool>,
    #[serde(default)]
    pub ios_sound: Maybe<String>,
    #[serde(default)]
    pub ios_thread_id: Maybe<String>,
}

pub const MAX_RECIPIENTS: usize = 100;
pub const PRIORITIES: &[&str] = &["high", "normal"];

/// What a send answers: each recipient's outcome, and the counts.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SendSummary {
    pub failure: usize,
    #[schema(value_type = Object)]
    pub results: Map<String, Value>,
    pub success: usize,
}

/// One notification as the simulated push network delivered it to one device
/// (`GET /admin/simulator/push`).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Delivery {
    pub application_sid: Option<Uuid>,
    pub date_created: Timestamp,
    pub delivery_sid: Uuid,
    pub device_sid: Uuid,
    pub device_type: Option<String>,
    #[schema(value_type = Object)]
    pub notification: Value,
    pub notification_sid: Uuid,
    pub partner_sid: Uuid,
    /// `success`, `not_found` (no such device of the sender's), `no_credentials` (its application
    /// lacks the credentials of the device's push service).
    pub result: String,
}
