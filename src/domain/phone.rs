//! Phone numbers: E.164 digits, the country they belong to and their national and international
//! forms, from libphonenumber's metadata (the `phonenumber` crate).

use phonenumber::Mode;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Analyzed {
    /// E.164 without the `+`: `15162065575`.
    pub digits: String,
    /// ISO 3166-1 alpha-2 region: `US`.
    pub region: Option<String>,
    /// `(516) 206-5575`
    pub national: String,
    /// `+1 516-206-5575`
    pub international: String,
    /// Whether libphonenumber knows the number as a valid one of its region.
    pub valid: bool,
}

/// The digits of a phone number as clients write it (`+1 (516) 206-5575`, `15162065575`).
pub fn digits(input: &str) -> String {
    input.chars().filter(char::is_ascii_digit).collect()
}

/// A phone number as the messaging and call routes take it: E.164 digits (a leading `+` is
/// dropped), 3 to 15 of them (short codes included).
pub fn e164_digits(raw: &str) -> Option<String> {
    let d = raw.trim().trim_start_matches('+');
    (d.len() >= 3 && d.len() <= 15 && d.bytes().all(|b| b.is_ascii_digit())).then(|| d.to_owned())
}

/// Reads a number written in E.164 (with or without `+`, with any separators).
pub fn analyze(input: &str) -> Option<Analyzed> {
    parse(input).map(|(d, n)| analyzed(d, &n))
}

/// [`analyze`] and [`line_type`] with one parse (libphonenumber's parsing is the costly part).
pub fn analyze_with_type(input: &str) -> Option<(Analyzed, Option<&'static str>)> {
    parse(input).map(|(d, n)| (analyzed(d, &n), type_of(&n)))
}

fn parse(input: &str) -> Option<(String, phonenumber::PhoneNumber)> {
    let d = digits(input);
    if d.len() < 4 || d.len() > 15 || input.chars().any(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    let n = phonenumber::parse(None, format!("+{d}")).ok()?;
    Some((d, n))
}

fn analyzed(d: String, n: &phonenumber::PhoneNumber) -> Analyzed {
    // The region whose patterns the number matches, else the main region of its country code.
    let region = n.country().id().map(|id| id.as_ref().to_owned()).or_else(|| {
        let db = &*phonenumber::metadata::DATABASE;
        db.by_code(&n.country().code())
            .and_then(|m| m.first().map(|m| m.id().to_owned()))
            .filter(|id| id.len() == 2 && id != "001")
    });
    Analyzed {
        digits: d,
        national: n.format().mode(Mode::National).to_string(),
        international: n.format().mode(Mode::International).to_string(),
        valid: phonenumber::is_valid(n),
        region,
    }
}

/// [`analyze`], remembered for North American numbers per block of their first eight digits
/// (`1`, the area code, the exchange and the line's first digit): libphonenumber decides a
/// North American number's region and validity by its area code and exchange, and formats every
/// one as `(NPA) NXX-XXXX` / `+1 NPA-NXX-XXXX`. A block is remembered only once its first
/// number's analysis matched those forms; any other number is analyzed in full. An ingestion of
/// 10,000 numbers parses a few blocks instead of 10,000 numbers (the parse's regular expressions
/// were most of its time).
pub fn analyze_nanp_cached(input: &str) -> Option<Analyzed> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Blocks = Mutex<HashMap<String, (Option<String>, bool)>>;
    static BLOCKS: OnceLock<Blocks> = OnceLock::new();
    let d = digits(input);
    if d.len() != 11 || !d.starts_with('1') || input.chars().any(|c| c.is_ascii_alphabetic()) {
        return analyze(input);
    }
    let blocks = BLOCKS.get_or_init(Default::default);
    let known = crate::sync::lock(blocks).get(&d[..8]).cloned();
    if let Some((region, valid)) = known {
        return Some(nanp(d, region, valid));
    }
    let a = analyze(input)?;
    let formed = nanp(d, a.region.clone(), a.valid);
    if formed == a {
        let mut map = crate::sync::lock(blocks);
        if map.len() >= 65_536 {
            map.clear();
        }
        map.insert(a.digits[..8].to_owned(), (a.region.clone(), a.valid));
    }
    Some(a)
}

/// A North American number in its usual forms.
fn nanp(d: String, region: Option<String>, valid: bool) -> Analyzed {
    let (npa, nxx, line) = (&d[1..4], &d[4..7], &d[7..]);
    Analyzed {
        national: format!("({npa}) {nxx}-{line}"),
        international: format!("+1 {npa}-{nxx}-{line}"),
        digits: d,
        region,
        valid,
    }
}

/// The E.164 digits of a number written nationally in `region` (alpha-2: `IT`, `GB`), or in
/// E.164 already; `None` when libphonenumber cannot read it.
pub fn e164_in(input: &str, region: &str) -> Option<String> {
    let id: phonenumber::country::Id = region.parse().ok()?;
    let n = phonenumber::parse(Some(id), input).ok()?;
    Some(n.format().mode(Mode::E164).to_string().trim_start_matches('+').to_owned())
}

/// How a number is billed: its region (alpha-2) and whether it is toll-free. Both are decided by
/// the number's first digits (a country code and, within it, a region's or a service's prefix), so
/// the answer is remembered per seven-digit prefix: rating a stream of messages or records parses
/// each exchange once (libphonenumber's parse is the costly part), in at most 65,536 entries.
pub fn billing_class(digits: &str) -> (Option<String>, bool) {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    type Classes = Mutex<HashMap<String, (Option<String>, bool)>>;
    static CLASSES: OnceLock<Classes> = OnceLock::new();
    let key: String = digits.chars().take(7).collect();
    let classes = CLASSES.get_or_init(Default::default);
    if let Some(c) = crate::sync::lock(classes).get(&key) {
        return c.clone();
    }
    let class = match parse(digits) {
        Some((d, n)) => {
            let toll_free = matches!(n.number_type(&phonenumber::metadata::DATABASE), phonenumber::Type::TollFree);
            (analyzed(d, &n).region, toll_free)
        }
        None => return (None, false),
    };
    let mut map = crate::sync::lock(classes);
    if map.len() >= 65_536 {
        map.clear();
    }
    map.insert(key, class.clone());
    class
}

/// What kind of line a number is, as CarrierX names it: `landline`, `mobile`, `unknown` (any other
/// valid type: toll-free, VoIP, ...); `None` where libphonenumber cannot tell fixed from mobile
/// (all of North America), as the reference's sample for a US number shows.
pub fn line_type(digits: &str) -> Option<&'static str> {
    type_of(&phonenumber::parse(None, format!("+{digits}")).ok()?)
}

fn type_of(n: &phonenumber::PhoneNumber) -> Option<&'static str> {
    match n.number_type(&phonenumber::metadata::DATABASE) {
        phonenumber::Type::FixedLine => Some("landline"),
        phonenumber::Type::Mobile => Some("mobile"),
        phonenumber::Type::FixedLineOrMobile => None,
        _ => Some("unknown"),
    }
}

#[cfg(test)]
mod tests;
