use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::time::Timestamp;

/// A callback the server made or owes (`GET /admin/simulator/callbacks`): where it goes, what it
/// carries, and every attempt so far.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Callback {
    /// Each attempt: `attempt`, `date`, `response_status` (null when nothing answered), `error`,
    /// `duration_ms`.
    #[schema(value_type = Vec<Object>)]
    pub attempt_log: Value,
    pub attempts: i32,
    #[schema(value_type = Object)]
    pub body: Value,
    pub callback_sid: Uuid,
    pub date_changed: Timestamp,
    pub date_created: Timestamp,
    pub date_delivered: Option<Timestamp>,
    pub error: Option<String>,
    /// The partner's callback type (`sms`).
    pub event: String,
    pub next_attempt_at: Option<Timestamp>,
    /// The object the callback is about (a `message_sid`).
    pub object_sid: Option<Uuid>,
    pub partner_sid: Uuid,
    pub response_status: Option<i32>,
    /// `pending` (an attempt is due or in flight), `delivered` (a 2xx answer), `failed` (every
    /// attempt failed, or the URL cannot be used).
    pub status: String,
    pub url: String,
}
