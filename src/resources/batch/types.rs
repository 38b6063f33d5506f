use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};

fn data_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Array, Type::Null]))
        .description(Some("New objects (`POST`: an array), the changes (`PATCH`: an object), `null` for `DELETE`."))
        .build()
}

/// The Task object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Task {
    /// New objects (`POST`: an array), the changes (`PATCH`: an object), `null` for `DELETE`.
    #[schema(schema_with = data_schema)]
    pub data: Value,
    pub date_created: Timestamp,
    pub date_modified: Timestamp,
    /// The values of `field` that pick the objects (`PATCH`, `DELETE`).
    #[schema(value_type = Option<Vec<String>>)]
    pub entries: Value,
    pub error_details: Vec<ErrorDetail>,
    pub failure: Option<i32>,
    pub field: Option<String>,
    pub method: String,
    pub partner_sid: Uuid,
    pub processed: Option<i32>,
    pub review: bool,
    pub status: String,
    pub success: Option<i32>,
    pub task_sid: Uuid,
    pub total: Option<i32>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// One failed entry: the error body the single-object route would have answered, and the
/// entry (`PATCH`, `DELETE`) or data object (`POST`) it concerns.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    #[schema(value_type = crate::http::error::ErrorBody)]
    pub error: Value,
    #[schema(value_type = Object)]
    pub key: Value,
}

/// The Batch Review Response object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewResponse {
    pub method: String,
    pub review_items: Vec<ReviewItem>,
    #[serde(rename = "type")]
    pub kind: String,
}

/// The Batch Review Item object: what one entry will change.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewItem {
    pub description: String,
    /// `{attribute: [current value, new value]}` for each attribute the entry changes.
    #[schema(value_type = Object)]
    pub fields: Value,
    /// The object the entry changes (`null` for an object still to be created or not found).
    pub sid: Option<Uuid>,
    /// The version of that object the review saw; the change applies to that version only.
    pub version: Option<i32>,
}

/// A task in a create body; read-only attributes are accepted and ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskInput {
    #[serde(default)]
    pub data: Maybe<Value>,
    #[serde(default)]
    pub entries: Maybe<Vec<String>>,
    #[serde(default)]
    pub field: Maybe<String>,
    #[serde(default)]
    pub method: Maybe<String>,
    #[serde(default)]
    pub review: Maybe<bool>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub status: Maybe<String>,
    #[serde(default)]
    pub date_created: Ignored,
    #[serde(default)]
    pub date_modified: Ignored,
    #[serde(default)]
    pub error_details: Ignored,
    #[serde(default)]
    pub failure: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
    #[serde(default)]
    pub processed: Ignored,
    #[serde(default)]
    pub success: Ignored,
    #[serde(default)]
    pub task_sid: Ignored,
    #[serde(default)]
    pub total: Ignored,
}

pub const TYPES: &[&str] = &["phonenumber", "prefix"];
pub const METHODS: &[&str] = &["POST", "PATCH", "DELETE"];

/// The `field` values that pick objects, per `type`.
pub fn fields_of(kind: &str) -> &'static [&'static str] {
    match kind {
        "phonenumber" => &["phonenumber", "did_sid"],
        _ => &["prefix_sid", "prefix"],
    }
}
