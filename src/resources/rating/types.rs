//! The rating section's wire contract: the price of a call or a message, as strings with five
//! decimals as the reference's samples show them.

use serde::Serialize;

/// The Rating Call Response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatingCall {
    pub direction: String,
    /// The billed seconds, after the minimum and the increment.
    pub duration_billing: String,
    pub price: String,
    pub rate: String,
}

/// The Rating MCC/MNC Response (SMS and MMS).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatingMessage {
    pub direction: String,
    pub price: String,
    pub rate: String,
    pub segments: String,
}
