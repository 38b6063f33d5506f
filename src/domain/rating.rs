//! Rating a call: which rate applies to a number, and what a call of a given length costs.
//!
//! The rate is the item with the longest prefix that starts the number (an item without a prefix
//! rates any number). The billed length is the call's length raised to `billing_minimum`, then
//! rounded up to a multiple of `billing_increment`; the price is the rate per minute times the
//! billed minutes: `price = rate × duration_billing / 60`. A call of no length costs nothing.

use rust_decimal::Decimal;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateItem {
    pub prefix: Option<String>,
    pub price: Decimal,
    pub billing_increment: i32,
    pub billing_minimum: i32,
}

/// The item of longest prefix matching `digits`.
pub fn best<'a>(items: &'a [RateItem], digits: &str) -> Option<&'a RateItem> {
    items
        .iter()
        .filter(|i| i.prefix.as_deref().is_none_or(|p| digits.starts_with(p)))
        .max_by_key(|i| i.prefix.as_deref().map(str::len).map_or(0, |n| n + 1))
}

/// (duration_billing, price) of a call of `duration` seconds.
pub fn bill(duration: Decimal, item: &RateItem) -> (Decimal, Decimal) {
    if duration <= Decimal::ZERO {
        return (Decimal::ZERO, Decimal::ZERO);
    }
    let mut billed = duration.max(Decimal::from(item.billing_minimum.max(0)));
    if item.billing_increment > 0 {
        let inc = Decimal::from(item.billing_increment);
        billed = (billed / inc).ceil() * inc;
    }
    let price = item.price * billed / Decimal::from(60);
    (billed.normalize(), price.normalize())
}

#[cfg(test)]
mod tests;
