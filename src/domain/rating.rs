//! Rating a call: which rate applies to a number, and what a call of a given length costs.
//!
//! The rate is the item with the longest prefix that starts the number (an item without a prefix
//! rates any number). The billed length is the call's length raised to `billing_minimum`, then
//! rounded up to a multiple of `billing_increment`; the price is the rate per minute times the
//! billed minutes: `price = rate × duration_billing / 60`. A call of no length costs nothing.

use std::collections::HashMap;

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

/// A plan's items indexed by prefix: [`best`] in as many lookups as the longest prefix has
/// digits, whatever the plan's size (what rates many records, or keeps a plan in memory).
#[derive(Debug, Default)]
pub struct PrefixIndex {
    by_prefix: HashMap<String, RateItem>,
    /// The item without a prefix: it rates any number no prefix matches.
    any: Option<RateItem>,
    longest: usize,
}

impl PrefixIndex {
    pub fn new(items: Vec<RateItem>) -> Self {
        let mut p = PrefixIndex { by_prefix: HashMap::with_capacity(items.len()), any: None, longest: 0 };
        for item in items {
            match item.prefix.clone() {
                Some(prefix) => {
                    p.longest = p.longest.max(prefix.len());
                    p.by_prefix.insert(prefix, item);
                }
                None => p.any = Some(item),
            }
        }
        p
    }

    /// The item of longest prefix matching `digits`, as [`best`] chooses.
    pub fn best(&self, digits: &str) -> Option<&RateItem> {
        (1..=digits.len().min(self.longest))
            .rev()
            .filter(|n| digits.is_char_boundary(*n))
            .find_map(|n| self.by_prefix.get(&digits[..n]))
            .or(self.any.as_ref())
    }
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
