use serde::{Deserialize, Serialize};

use crate::http::input::Maybe;

/// The Billing Method object. `cc_number` and `ec_account_number` show their last four digits.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BillingMethod {
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub cc_expiration: Option<String>,
    pub cc_number: Option<String>,
    pub city: Option<String>,
    pub country_code: Option<String>,
    pub ec_account_number: Option<String>,
    pub ec_routing_number: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub phone: Option<String>,
    pub state: Option<String>,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: String,
    pub zip: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingMethodInput {
    #[serde(default)]
    pub address1: Maybe<String>,
    #[serde(default)]
    pub address2: Maybe<String>,
    #[serde(default)]
    pub cc_cid: Maybe<String>,
    #[serde(default)]
    pub cc_expiration: Maybe<String>,
    #[serde(default)]
    pub cc_number: Maybe<String>,
    #[serde(default)]
    pub city: Maybe<String>,
    #[serde(default)]
    pub country_code: Maybe<String>,
    #[serde(default)]
    pub ec_account_number: Maybe<String>,
    #[serde(default)]
    pub ec_routing_number: Maybe<String>,
    #[serde(default)]
    pub first_name: Maybe<String>,
    #[serde(default)]
    pub last_name: Maybe<String>,
    #[serde(default)]
    pub phone: Maybe<String>,
    #[serde(default)]
    pub state: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
    #[serde(default)]
    pub zip: Maybe<String>,
}

pub const CARD_TYPES: &[&str] =
    &["american_express", "diners_club", "discover_card", "international_maestro", "jcb", "master_card", "visa"];
pub const OTHER_TYPES: &[&str] = &["check", "electronic_check", "wire"];

/// The Luhn check every card number passes.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else { return false };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

#[cfg(test)]
mod tests;
