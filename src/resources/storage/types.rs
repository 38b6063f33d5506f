use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};

/// The Container object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Container {
    pub allow_publish: bool,
    pub allowed_classifications: Vec<String>,
    pub available_bytes_percent: i64,
    pub available_files_percent: i64,
    pub blocked_classifications: Vec<String>,
    pub container_sid: Uuid,
    pub default_file_lifecycle_action: String,
    pub default_file_lifecycle_ttl: i32,
    pub default_file_publish: String,
    pub default_file_threshold_include: bool,
    pub default_file_unique: bool,
    pub durability_class: String,
    pub encrypted: bool,
    #[schema(value_type = Object)]
    pub external_attributes: Value,
    pub integer_key_1: Option<i64>,
    pub integer_key_2: Option<i64>,
    pub name: String,
    pub parent_container_sid: Option<Uuid>,
    pub partner_sid: Uuid,
    pub publish_domain: String,
    pub quota_bytes: i64,
    pub quota_files: i64,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub string_key_3: Option<String>,
    pub string_key_4: Option<String>,
    pub threshold_action: Option<String>,
    pub threshold_available_bytes_percent: Option<i64>,
    pub threshold_available_files_percent: Option<i64>,
    pub threshold_bytes: Option<i64>,
    pub threshold_bytes_target: Option<i64>,
    pub threshold_files: Option<i64>,
    pub threshold_files_target: Option<i64>,
    pub threshold_grace_period: i64,
    pub threshold_total_bytes: i64,
    pub threshold_total_files: i64,
    pub total_bytes: i64,
    pub total_files: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub unique: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerInput {
    #[serde(default)]
    pub allow_publish: Maybe<bool>,
    #[serde(default)]
    pub allowed_classifications: Maybe<Vec<String>>,
    #[serde(default)]
    pub blocked_classifications: Maybe<Vec<String>>,
    #[serde(default)]
    pub default_file_lifecycle_action: Maybe<String>,
    #[serde(default)]
    pub default_file_lifecycle_ttl: Maybe<i64>,
    #[serde(default)]
    pub default_file_publish: Maybe<String>,
    #[serde(default)]
    pub default_file_threshold_include: Maybe<bool>,
    #[serde(default)]
    pub default_file_unique: Maybe<bool>,
    #[serde(default)]
    pub integer_key_1: Maybe<Value>,
    #[serde(default)]
    pub integer_key_2: Maybe<Value>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub parent_container_sid: Maybe<String>,
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub publish_domain: Maybe<String>,
    #[serde(default)]
    pub quota_bytes: Maybe<i64>,
    #[serde(default)]
    pub quota_files: Maybe<i64>,
    #[serde(default)]
    pub string_key_1: Maybe<String>,
    #[serde(default)]
    pub string_key_2: Maybe<String>,
    #[serde(default)]
    pub string_key_3: Maybe<String>,
    #[serde(default)]
    pub string_key_4: Maybe<String>,
    #[serde(default)]
    pub unique: Maybe<bool>,
    #[serde(default)]
    pub available_bytes_percent: Ignored,
    #[serde(default)]
    pub available_files_percent: Ignored,
    #[serde(default)]
    pub container_sid: Ignored,
    #[serde(default)]
    pub durability_class: Ignored,
    #[serde(default)]
    pub encrypted: Ignored,
    #[serde(default)]
    pub external_attributes: Ignored,
    #[serde(default)]
    pub threshold_action: Ignored,
    #[serde(default)]
    pub threshold_available_bytes_percent: Ignored,
    #[serde(default)]
    pub threshold_available_files_percent: Ignored,
    #[serde(default)]
    pub threshold_bytes: Ignored,
    #[serde(default)]
    pub threshold_bytes_target: Ignored,
    #[serde(default)]
    pub threshold_files: Ignored,
    #[serde(default)]
    pub threshold_files_target: Ignored,
    #[serde(default)]
    pub threshold_grace_period: Ignored,
    #[serde(default)]
    pub threshold_total_bytes: Ignored,
    #[serde(default)]
    pub threshold_total_files: Ignored,
    #[serde(default)]
    pub total_bytes: Ignored,
    #[serde(default)]
    pub total_files: Ignored,
    #[serde(default, rename = "type")]
    pub kind: Ignored,
}

pub const CONTAINER_UPDATABLE: &[&str] = &[
    "allow_publish",
    "allowed_classifications",
    "blocked_classifications",
    "default_file_lifecycle_action",
    "default_file_lifecycle_ttl",
    "default_file_publish",
    "default_file_threshold_include",
    "default_file_unique",
    "integer_key_1",
    "integer_key_2",
    "name",
    "publish_domain",
    "quota_bytes",
    "quota_files",
    "string_key_1",
    "string_key_2",
    "string_key_3",
    "string_key_4",
];

/// The File object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct File {
    pub container_sid: Uuid,
    pub content_classification: String,
    pub content_duration: Option<f64>,
    pub content_format: Option<String>,
    pub content_transcoding_progress: Option<i32>,
    pub date_last_accessed: Option<Timestamp>,
    pub date_modified: Timestamp,
    pub desired_bitrate: Option<i32>,
    pub desired_format: Option<String>,
    pub file_access_name: String,
    pub file_bytes: i64,
    pub file_sid: Uuid,
    pub integer_key_1: Option<i64>,
    pub integer_key_2: Option<i64>,
    pub lifecycle_action: String,
    pub lifecycle_ttl: i32,
    pub mime_type: String,
    pub name: String,
    pub parent_file_sid: Option<Uuid>,
    pub partner_sid: Uuid,
    pub publish: String,
    pub publish_uri: String,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub string_key_3: Option<String>,
    pub string_key_4: Option<String>,
    pub threshold_include: bool,
    #[serde(rename = "type")]
    pub kind: String,
    pub unique: bool,
}

/// A file's attributes: the upload's `file_object` part (or query arguments), and PATCH/PUT.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    #[serde(default)]
    pub container_sid: Maybe<String>,
    #[serde(default)]
    pub desired_bitrate: Maybe<i64>,
    #[serde(default)]
    pub desired_format: Maybe<String>,
    #[serde(default)]
    pub file_access_name: Maybe<String>,
    #[serde(default)]
    pub integer_key_1: Maybe<Value>,
    #[serde(default)]
    pub integer_key_2: Maybe<Value>,
    #[serde(default)]
    pub lifecycle_action: Maybe<String>,
    #[serde(default)]
    pub lifecycle_ttl: Maybe<i64>,
    #[serde(default)]
    pub mime_type: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub parent_file_sid: Maybe<String>,
    #[serde(default)]
    pub publish: Maybe<String>,
    #[serde(default)]
    pub string_key_1: Maybe<String>,
    #[serde(default)]
    pub string_key_2: Maybe<String>,
    #[serde(default)]
    pub string_key_3: Maybe<String>,
    #[serde(default)]
    pub string_key_4: Maybe<String>,
    #[serde(default)]
    pub threshold_include: Maybe<bool>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub unique: Maybe<bool>,
    #[serde(default)]
    pub content_classification: Ignored,
    #[serde(default)]
    pub content_duration: Ignored,
    #[serde(default)]
    pub content_format: Ignored,
    #[serde(default)]
    pub content_transcoding_progress: Ignored,
    #[serde(default)]
    pub date_last_accessed: Ignored,
    #[serde(default)]
    pub date_modified: Ignored,
    #[serde(default)]
    pub file_bytes: Ignored,
    #[serde(default)]
    pub file_sid: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
    #[serde(default)]
    pub publish_uri: Ignored,
}

pub const FILE_UPDATABLE: &[&str] = &[
    "desired_bitrate",
    "desired_format",
    "file_access_name",
    "integer_key_1",
    "integer_key_2",
    "lifecycle_action",
    "lifecycle_ttl",
    "mime_type",
    "name",
    "publish",
    "string_key_1",
    "string_key_2",
    "string_key_3",
    "string_key_4",
    "threshold_include",
    "unique",
];

pub const CLASSIFICATIONS: &[&str] = &["archive", "document", "executable", "media", "unknown"];
pub const LIFECYCLE_ACTIONS: &[&str] = &["delete", "no_action"];
pub const PUBLISH: &[&str] = &["file_access_name", "file_sid", "none"];
pub const BITRATES: &[i64] = &[8, 16, 24, 32, 40, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
