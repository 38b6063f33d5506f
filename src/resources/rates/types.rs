//! The rates wire contract: Rate Call and DID Rate objects in their plan's envelope, and the
//! admin routes' rate plans and assignments.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::http::input::Maybe;

/// The Rate Call object (an item of a plan).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RateCall {
    pub billing_increment: Money,
    pub billing_minimum: Money,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub prefix: Option<String>,
    pub price: Money,
}

/// The DID Rate object: the monthly rental price of numbers by tier, `price_N` once the partner
/// holds `quantity_N` numbers (tiers a plan does not have are `null`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DidRate {
    pub classification_sid: Option<Uuid>,
    pub country_code: Option<String>,
    pub country_name: Option<String>,
    pub prefix: Option<String>,
    pub price_0: Option<Money>,
    pub price_1: Option<Money>,
    pub price_2: Option<Money>,
    pub price_3: Option<Money>,
    pub price_4: Option<Money>,
    pub price_5: Option<Money>,
    pub price_6: Option<Money>,
    pub quantity_0: Option<i32>,
    pub quantity_1: Option<i32>,
    pub quantity_2: Option<i32>,
    pub quantity_3: Option<i32>,
    pub quantity_4: Option<i32>,
    pub quantity_5: Option<i32>,
    pub quantity_6: Option<i32>,
}

/// The plan an envelope of rates comes from.
#[derive(Debug, Serialize)]
pub struct PlanRef {
    pub name: String,
    pub rates_plan_sid: Uuid,
}

/// The rate envelope: the list keys with the plan's.
#[derive(Serialize)]
pub struct RateEnvelope {
    pub active: &'static str,
    pub count: usize,
    pub effective_date: Timestamp,
    pub has_more: bool,
    pub items: Vec<Value>,
    pub limit: i64,
    pub offset: i64,
    /// `null` on the call rate lists (as their samples), the links on the DID rates.
    pub pagination: Value,
    pub partner_sid: Uuid,
    pub rates_plan: PlanRef,
    pub total: Option<i64>,
}

/// A rate plan as the admin routes show it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RatePlan {
    pub effective_date: Option<Timestamp>,
    pub items_count: i64,
    pub name: String,
    pub rates_plan_sid: Uuid,
}

/// The answer of an assignment: which plan rates whose calls (`partner_sid` null: every
/// partner's without their own) of a direction and type.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanAssignment {
    pub direction: String,
    pub partner_sid: Option<Uuid>,
    pub rates_plan_sid: Uuid,
    pub sub_type: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub effective_date: Maybe<String>,
    #[serde(default)]
    pub items: Maybe<Vec<ItemInput>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    #[serde(default)]
    pub prefix: Maybe<String>,
    #[serde(default)]
    pub country_code: Maybe<String>,
    #[serde(default)]
    pub price: Maybe<Money>,
    #[serde(default)]
    pub billing_increment: Maybe<i32>,
    #[serde(default)]
    pub billing_minimum: Maybe<i32>,
    /// DID rental plans: the numbers' classification the item prices.
    #[serde(default)]
    pub classification_sid: Maybe<String>,
    /// DID rental plans: up to seven tiers, the first from quantity 0.
    #[serde(default)]
    pub tiers: Maybe<Vec<TierInput>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierInput {
    #[serde(default)]
    pub quantity: Maybe<i32>,
    #[serde(default)]
    pub price: Maybe<Money>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignmentInput {
    #[serde(default)]
    pub partner_sid: Maybe<String>,
    #[serde(default)]
    pub direction: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub sub_type: Maybe<String>,
}

/// How many price tiers a DID rental item has at the most (`price_0` .. `price_6`).
pub const MAX_TIERS: usize = 7;

/// The sub-types of VoIP rates (`/calls/rates/{direction}/voip/{sub_type}`).
pub const VOIP_SUB_TYPES: &[&str] =
    &["conference", "conference_playback", "flexml", "mediator", "third_party", "voicemail"];

/// The VoIP sub-types plans rate (the rating section names three more than the rate lists).
pub const RATED_VOIP_SUB_TYPES: &[&str] = &[
    "conference",
    "conference_playback",
    "conference_v2",
    "flexml",
    "mediator",
    "peering_receiver",
    "peering_sender",
    "third_party",
    "voicemail",
];

/// The sub-types of SMS and MMS rates: the kind of the other party's number.
pub const MESSAGE_SUB_TYPES: &[&str] = &["short_code", "toll", "toll_free"];
