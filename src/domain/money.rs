//! Money: exact decimals, on the wire as strings without trailing zeros (`"0.6"`, `"5"`).
//! Every amount of the API goes through [`Money`].

use std::fmt;

use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn wire(&self) -> String {
        let n = self.0.normalize();
        if n.is_zero() {
            "0".to_owned()
        } else {
            n.to_string()
        }
    }

    /// Parses an amount given as a JSON number or a decimal string.
    pub fn from_json(v: &serde_json::Value) -> Option<Money> {
        match v {
            serde_json::Value::Number(n) => parse_decimal(&n.to_string()),
            serde_json::Value::String(s) => parse_decimal(s.trim()),
            _ => None,
        }
    }
}

fn parse_decimal(s: &str) -> Option<Money> {
    if s.is_empty() || s.len() > 40 {
        return None;
    }
    s.parse::<Decimal>().or_else(|_| Decimal::from_scientific(s)).ok().map(Money)
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.wire())
    }
}

impl From<Decimal> for Money {
    fn from(d: Decimal) -> Self {
        Money(d)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.wire())
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_json::Value::deserialize(d)?;
        Money::from_json(&v).ok_or_else(|| de::Error::custom("must be a decimal number or a string holding one"))
    }
}

impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A decimal amount as a string, without trailing zeros"))
            .examples([serde_json::json!("0.005")])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

#[cfg(test)]
mod tests;
