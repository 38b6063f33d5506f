use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::scopes::ScopeSet;
use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};
use crate::resources::access_control::types::Acl;

/// The Partner object (the current one, with `compliance_email`, `daily_spending_limit`,
/// `daily_spent_amount` and `owner_email_pending`). E-mail addresses show once verified.
/// `id` and `system_attributes` are shown through the admin routes only.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Partner {
    #[schema(value_type = Vec<Acl>)]
    pub acls: Value,
    pub address1: Option<String>,
    pub address2: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: Value,
    pub available_scopes: ScopeSet,
    pub balance: Money,
    pub billing_email: Option<String>,
    #[schema(value_type = Object)]
    pub callbacks: Value,
    pub charge_at: Option<Money>,
    pub city: Option<String>,
    pub company_name: Option<String>,
    pub compliance_email: Option<String>,
    pub country_code: Option<String>,
    pub daily_spending_limit: Option<Money>,
    pub daily_spent_amount: Money,
    pub date_created: Timestamp,
    pub display_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub login: String,
    pub name: Option<String>,
    pub owner_email: Option<String>,
    pub owner_email_pending: Option<String>,
    #[schema(value_type = Vec<Acl>)]
    pub parent_assigned_acls: Value,
    pub parent_sid: Option<Uuid>,
    pub partner_sid: Uuid,
    pub payment_type: String,
    pub phonenumber: Option<String>,
    pub prepay_amount: Option<Money>,
    pub spending_limit: Money,
    pub state: Option<String>,
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub system_attributes: Option<Value>,
    pub tech_email: Option<String>,
    #[schema(value_type = Vec<Object>)]
    pub transformations: Value,
    pub zip: Option<String>,
}

/// A Partner in a request body: every attribute, the read-only ones ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerInput {
    #[serde(default)]
    pub acls: Maybe<Vec<Acl>>,
    #[serde(default)]
    pub address1: Maybe<String>,
    #[serde(default)]
    pub address2: Maybe<String>,
    #[serde(default)]
    pub attributes: Maybe<Map<String, Value>>,
    /// Settable through the admin routes only.
    #[serde(default)]
    pub available_scopes: Maybe<Vec<String>>,
    #[serde(default)]
    pub billing_email: Maybe<String>,
    #[serde(default)]
    pub callbacks: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub charge_at: Maybe<Money>,
    #[serde(default)]
    pub city: Maybe<String>,
    #[serde(default)]
    pub company_name: Maybe<String>,
    #[serde(default)]
    pub compliance_email: Maybe<String>,
    #[serde(default)]
    pub country_code: Maybe<String>,
    #[serde(default)]
    pub daily_spending_limit: Maybe<Money>,
    #[serde(default)]
    pub login: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub owner_email: Maybe<String>,
    #[serde(default)]
    pub parent_assigned_acls: Maybe<Vec<Acl>>,
    #[serde(default)]
    pub parent_sid: Maybe<String>,
    #[serde(default)]
    pub password: Maybe<String>,
    #[serde(default)]
    pub payment_type: Maybe<String>,
    #[serde(default)]
    pub phonenumber: Maybe<String>,
    #[serde(default)]
    pub prepay_amount: Maybe<Money>,
    #[serde(default)]
    pub spending_limit: Maybe<Money>,
    #[serde(default)]
    pub state: Maybe<String>,
    /// Settable through the admin routes only.
    #[serde(default)]
    pub status: Maybe<String>,
    /// Settable through the admin routes only.
    #[serde(default)]
    pub system_attributes: Maybe<Map<String, Value>>,
    #[serde(default)]
    pub tech_email: Maybe<String>,
    #[serde(default)]
    pub transformations: Maybe<Value>,
    #[serde(default)]
    pub zip: Maybe<String>,
    // Read only.
    #[serde(default)]
    pub balance: Ignored,
    #[serde(default)]
    pub daily_spent_amount: Ignored,
    #[serde(default)]
    pub date_created: Ignored,
    #[serde(default)]
    pub display_id: Ignored,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub owner_email_pending: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
}

/// The attributes PATCH/PUT change (the reference's list, with `compliance_email`).
pub const UPDATABLE: &[&str] = &[
    "acls",
    "address1",
    "address2",
    "attributes",
    "billing_email",
    "callbacks",
    "city",
    "company_name",
    "compliance_email",
    "name",
    "owner_email",
    "parent_assigned_acls",
    "phonenumber",
    "tech_email",
    "transformations",
    "zip",
];

/// What the admin routes change besides.
pub const ADMIN_UPDATABLE: &[&str] = &[
    "available_scopes",
    "charge_at",
    "country_code",
    "daily_spending_limit",
    "prepay_amount",
    "spending_limit",
    "state",
    "status",
    "system_attributes",
];

pub const CALLBACK_TYPES: &[&str] = &[
    "app_conference_call",
    "app_conference_meeting",
    "app_mediator",
    "phonenumber_messaging_update",
    "phonenumber_order",
    "sms",
];

pub const STATUSES: &[&str] = &["active", "canceled", "suspended", "unconfirmed", "unverified"];

/// The answer of `GET /email_verifications/{token}`: which address of which partner is verified.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailVerified {
    pub message: &'static str,
    pub partner_sid: Uuid,
    pub field: String,
    pub email: String,
}
