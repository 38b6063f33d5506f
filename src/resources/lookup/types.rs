//! The Phonenumber Lookup object and the admin LRN/CNAM records.

use serde::{Deserialize, Serialize};

use crate::http::input::Maybe;

/// The Phonenumber Lookup object.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PhonenumberLookup {
    /// ISO 3166-1 alpha-3.
    pub country_code: Option<String>,
    pub details: LookupDetails,
    pub e164_format: String,
    pub in_country_format: String,
    pub international_format: String,
    pub phonenumber: String,
    /// North American numbers only.
    pub state: Option<String>,
}

/// The parts asked for (and allowed by the token's scopes); the others are `null`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LookupDetails {
    pub carrier: Option<CarrierDetail>,
    pub cnam: Option<CnamDetail>,
    pub lrn: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CarrierDetail {
    pub mcc: Option<i32>,
    pub mnc: Option<i32>,
    pub name: Option<String>,
    /// `landline`, `mobile` or `unknown`; `null` where the number cannot tell (North America).
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CnamDetail {
    /// The caller name, `""` when none is known.
    pub name: String,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// An LRN record: a ported number and the location routing number it answers.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LrnRecord {
    pub lrn: String,
    pub phonenumber: String,
}

/// A CNAM record: a number's caller name and type.
#[derive(Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CnamRecord {
    pub name: String,
    pub phonenumber: String,
    #[serde(rename = "type")]
    #[sqlx(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LrnInput {
    #[serde(default)]
    pub phonenumber: Maybe<String>,
    #[serde(default)]
    pub lrn: Maybe<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CnamInput {
    #[serde(default)]
    pub phonenumber: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default, rename = "type")]
    pub kind: Maybe<String>,
}

/// The IP2Location object (`GET /lookup/ip_addresses/{ip_address}`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IpLocation {
    pub city: Option<String>,
    pub common_name: Option<String>,
    pub iso_3166_alpha_2: String,
    pub iso_3166_alpha_3: Option<String>,
    /// The first-level subdivision outside the USA (`Nouvelle-Aquitaine`).
    pub region: Option<String>,
    /// The state in the USA (`CA`).
    pub state: Option<String>,
}

/// The country of an IP address (`GET /countries/ip/{ip_address}`): the IP2Location object
/// without the alpha-3 code, as the reference's sample shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IpCountry {
    pub city: Option<String>,
    pub common_name: Option<String>,
    pub iso_3166_alpha_2: String,
    pub region: Option<String>,
    pub state: Option<String>,
}
