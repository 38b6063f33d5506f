use serde::Serialize;
use uuid::Uuid;

/// The DID Classification object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Classification {
    pub aging_policy: i32,
    pub classification_sid: Uuid,
    pub name: String,
}
