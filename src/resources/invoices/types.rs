use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::domain::money::Money;
use crate::domain::time::Timestamp;
use crate::resources::partners::types::Partner;

/// The Invoice object.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Invoice {
    /// The sum of the invoice items (not necessarily due yet).
    pub amount: Money,
    pub amount_due: Money,
    pub amount_tax: Money,
    /// `balance_previous + amount + amount_tax − payments`: the next invoice's `balance_previous`.
    pub balance_forward: Money,
    pub balance_previous: Money,
    pub date_billing_period_end: Timestamp,
    pub date_billing_period_start: Timestamp,
    pub date_charge_expected: Timestamp,
    pub date_charged: Option<Timestamp>,
    pub date_created: Timestamp,
    pub date_issued: Option<Timestamp>,
    pub display_id: String,
    pub invoice_items: Vec<InvoiceItem>,
    pub invoice_sid: Uuid,
    pub paid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    pub partner_sid: Uuid,
    pub pay_items: Vec<PayItem>,
    pub status: String,
    pub tax_items: Vec<TaxItem>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InvoiceItem {
    pub amount: Money,
    pub country_code: Option<String>,
    pub date_billing_period_end: Timestamp,
    pub date_billing_period_start: Timestamp,
    pub direction: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    /// Billable seconds for calls, rentals for numbers, lookups for lookups.
    pub usage: i64,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PayItem {
    pub amount: Money,
    #[schema(value_type = Option<Object>)]
    pub billing_method: Option<Value>,
    pub check_number: Option<String>,
    pub date_charged: Timestamp,
    pub pay_item_sid: Uuid,
    pub status: String,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TaxItem {
    pub amount: Money,
    pub jurisdiction: String,
    #[serde(rename = "type")]
    pub kind: String,
}

crate::resources::partners::ops::carries_partner!(Invoice);
