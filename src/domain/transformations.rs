//! Transformations: how a call is rewritten by the objects it passes (partners, endpoints, DIDs,
//! prefixes, trunk groups, trunks). One validator for every object that carries them, and one
//! pure function that applies a list of them to a call.
//!
//! Regular-expression operands are compiled with the `regex` crate (RE2-like syntax: no
//! look-around or back-references inside patterns). In replacements, `\1` refers to a group,
//! as in the reference's samples. `{{name}}` in values is replaced by a call variable: `src`,
//! `dst`, `direction`, `SipHeader_<Header-Name>`, or a variable set by `stir_validate`.

use std::collections::BTreeMap;

use super::patterns::compile;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One transformation as stored and returned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Transformation {
    pub action: String,
    pub direction: String,
    pub operands: Vec<String>,
}

pub const DIRECTIONS: &[&str] = &["any", "inbound", "outbound", "undirected"];

/// The reject reasons and the SIP code each answers with.
pub const REJECT_REASONS: &[(&str, u16)] = &[
    ("forbidden", 403),
    ("rejected", 403),
    ("not-found", 404),
    ("busy-here", 486),
    ("bad-gateway", 502),
    ("unavailable", 503),
    ("busy", 600),
    ("decline", 603),
    ("does-not-exist", 604),
    ("unwanted", 607),
    ("intermediary-rejected", 608),
];

/// Every action with the number of operands it takes and which of them are patterns.
struct ActionSpec {
    name: &'static str,
    min: usize,
    max: usize,
    /// Indexes of the operands that are regular expressions.
    patterns: &'static [usize],
}

const ACTIONS: &[ActionSpec] = &[
    ActionSpec { name: "if_match", min: 3, max: 100, patterns: &[1] },
    ActionSpec { name: "lookup_rn", min: 0, max: 9, patterns: &[] },
    ActionSpec { name: "reject", min: 1, max: 2, patterns: &[] },
    ActionSpec { name: "rewrite_from", min: 2, max: 2, patterns: &[0] },
    ActionSpec { name: "rewrite_from_header_param", min: 3, max: 3, patterns: &[1] },
    ActionSpec { name: "rewrite_header", min: 4, max: 4, patterns: &[1] },
    ActionSpec { name: "rewrite_header_parameter", min: 5, max: 5, patterns: &[2] },
    ActionSpec { name: "rewrite_to", min: 2, max: 2, patterns: &[0] },
    ActionSpec { name: "rewrite_to_header_param", min: 3, max: 3, patterns: &[1] },
    ActionSpec { name: "set_header", min: 2, max: 2, patterns: &[] },
    ActionSpec { name: "set_header_parameter", min: 3, max: 3, patterns: &[] },
    ActionSpec { name: "set_user_data", min: 2, max: 2, patterns: &[] },
    ActionSpec { name: "stir_validate", min: 0, max: 0, patterns: &[] },
];

pub fn action_names() -> Vec<&'static str> {
    ACTIONS.iter().map(|a| a.name).collect()
}

/// The enum values of `lookup_rn`'s operands, by position (`None`: free text).
const LOOKUP_RN_ENUMS: [Option<&[&str]>; 9] = [
    Some(&["true", "false"]),
    Some(&["true", "false"]),
    None,
    None,
    Some(&["die", "ignore", "original_npdi_or_die"]),
    Some(&["e164", "guess", "ignore_plus"]),
    Some(&["domestic", "e164", "e164_with_plus"]),
    Some(&["e164", "e164_with_plus", "passthrough"]),
    Some(&["domestic", "e164", "e164_with_plus", "passthrough"]),
];

const LOOKUP_RN_NAMES: [&str; 9] = [
    "force",
    "always",
    "phonenumber",
    "destination",
    "on_failure",
    "input_format",
    "output_format_domestic",
    "output_format_international",
    "output_format_guess_not_found",
];

/// A problem with one transformation: the field path (`transformations[2].operands[1]`) and why.
pub type Problem = (String, String);

/// Parses and checks a JSON list of transformations; `field` names it in the problems.
pub fn parse_list(field: &str, v: &Value) -> Result<Vec<Transformation>, Vec<Problem>> {
    let Value::Array(items) = v else {
        return Err(vec![(field.to_owned(), "must be an array of transformations".into())]);
    };
    let mut out = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{field}[{i}]");
        match parse_one(&at, item) {
            Ok(t) => out.push(t),
            Err(mut p) => problems.append(&mut p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

fn parse_one(at: &str, v: &Value) -> Result<Transformation, Vec<Problem>> {
    let Value::Object(map) = v else {
        return Err(vec![(at.to_owned(), "must be an object with action, direction and operands".into())]);
    };
    let mut problems = Vec::new();
    for k in map.keys() {
        if !matches!(k.as_str(), "action" | "direction" | "operands") {
            problems.push((format!("{at}.{k}"), "unknown field".into()));
        }
    }
    let action = match map.get("action") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            problems.push((format!("{at}.action"), "must be a string".into()));
            String::new()
        }
        None => {
            problems.push((format!("{at}.action"), "field is required".into()));
            String::new()
        }
    };
    let direction = match map.get("direction") {
        None | Some(Value::Null) => "any".to_owned(),
        Some(Value::String(s)) if DIRECTIONS.contains(&s.as_str()) => s.clone(),
        Some(_) => {
            problems.push((format!("{at}.direction"), format!("must be one of {}", DIRECTIONS.join(", "))));
            String::new()
        }
    };
    let mut operands = Vec::new();
    let before = problems.len();
    match map.get("operands") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (j, o) in items.iter().enumerate() {
                match o {
                    Value::String(s) => operands.push(s.clone()),
                    Value::Number(n) => operands.push(n.to_string()),
                    Value::Bool(b) => operands.push(b.to_string()),
                    _ => problems.push((format!("{at}.operands[{j}]"), "must be a string".into())),
                }
            }
        }
        Some(_) => problems.push((format!("{at}.operands"), "must be an array of strings".into())),
    }
    let operands_ok = problems.len() == before;
    if !action.is_empty() && operands_ok {
        check_action(at, &action, &operands, 0, &mut problems);
    }
    if problems.is_empty() {
        Ok(Transformation { action, direction, operands })
    } else {
        Err(problems)
    }
}

/// Checks an action and its operands; `offset` is where they start in the operand list
/// (nested actions of `if_match` start at 3).
fn check_action(at: &str, action: &str, ops: &[String], offset: usize, problems: &mut Vec<Problem>) {
    let Some(spec) = ACTIONS.iter().find(|a| a.name == action) else {
        let field = if offset == 0 { format!("{at}.action") } else { format!("{at}.operands[{}]", offset - 1) };
        problems.push((field, format!("unknown action '{action}'; one of {}", action_names().join(", "))));
        return;
    };
    let operand = |j: usize| format!("{at}.operands[{}]", j + offset);
    if ops.len() < spec.min || ops.len() > spec.max {
        let want = if spec.min == spec.max { format!("{}", spec.min) } else { format!("{} to {}", spec.min, spec.max) };
        let field = if offset == 0 { format!("{at}.operands") } else { format!("{at}.operands[{}]", offset - 1) };
        problems.push((field, format!("{action} takes {want} operands, not {}", ops.len())));
        return;
    }
    for &j in spec.patterns {
        if let Err(e) = compile(&ops[j]) {
            problems.push((operand(j), format!("invalid regular expression: {e}")));
        }
    }
    match action {
        "reject" if !REJECT_REASONS.iter().any(|(r, _)| *r == ops[0]) => {
            let all: Vec<&str> = REJECT_REASONS.iter().map(|r| r.0).collect();
            problems.push((operand(0), format!("unknown reject reason; one of {}", all.join(", "))));
        }
        "lookup_rn" => {
            for (j, o) in ops.iter().enumerate() {
                if let Some(allowed) = LOOKUP_RN_ENUMS[j] {
                    if !allowed.contains(&o.as_str()) {
                        problems.push((
                            operand(j),
                            format!("{} must be one of {}", LOOKUP_RN_NAMES[j], allowed.join(", ")),
                        ));
                    }
                }
            }
        }
        "if_match" => {
            if ops[2] == "if_match" && offset > 0 {
                problems.push((operand(2), "if_match cannot nest deeper than once".into()));
            } else {
                check_action(at, &ops[2], &ops[3..], offset + 3, problems);
            }
        }
        _ => {}
    }
}

/// `\1` (the reference's spelling) to `${1}` (the regex crate's).
fn replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len() + 4);
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(|d| d.is_ascii_digit()) => {
                if let Some(d) = chars.next() {
                    out.push_str(&format!("${{{d}}}"));
                }
            }
            '\\' if chars.peek() == Some(&'\\') => {
                chars.next();
                out.push('\\');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// A call as transformations see it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Call {
    pub from: String,
    pub to: String,
    /// `inbound` or `outbound` (or `undirected`).
    pub direction: String,
    /// SIP headers in order; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// Parameters of the From and To headers (`cnam`, `npdi`, `rn`, ...).
    pub from_params: BTreeMap<String, String>,
    pub to_params: BTreeMap<String, String>,
    /// What `set_user_data` saves to the call detail record.
    pub user_data: BTreeMap<String, String>,
    /// Variables for `{{name}}` (e.g. set by `stir_validate`).
    pub vars: BTreeMap<String, String>,
    /// Set by `reject`: the SIP code, the reason and the message.
    pub rejected: Option<(u16, String, Option<String>)>,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    fn set_header(&mut self, name: &str, value: String) {
        match self.headers.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            Some(h) => h.1 = value,
            None => self.headers.push((name.to_owned(), value)),
        }
    }

    /// Replaces `{{name}}` by the call's variables (unknown ones by nothing).
    pub fn interpolate(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            match rest[start + 2..].find("}}") {
                Some(end) => {
                    let name = rest[start + 2..start + 2 + end].trim();
                    out.push_str(&self.var(name));
                    rest = &rest[start + 2 + end + 2..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }

    fn var(&self, name: &str) -> String {
        match name {
            "src" | "from" => self.from.clone(),
            "dst" | "to" => self.to.clone(),
            "direction" => self.direction.clone(),
            _ => {
                if let Some(h) = name.strip_prefix("SipHeader_") {
                    return self.header(h).unwrap_or_default().to_owned();
                }
                self.vars.get(name).cloned().unwrap_or_default()
            }
        }
    }
}

/// A routing-number lookup that could not be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LookupFailed;

/// What transformations need from the world: routing-number lookups and STIR/SHAKEN checks.
pub trait Services {
    /// The location routing number of a 10-digit NANP number; `Err` when the lookup fails.
    fn lookup_rn(&self, number: &str) -> Result<Option<String>, LookupFailed>;
    /// The variables `stir_validate` enables (`stir_verstat`, `stir_attest`, ...).
    fn stir_validate(&self, call: &Call) -> BTreeMap<String, String>;
}

/// Services for a call with nothing to look up: no routing numbers, no identity.
pub struct NoServices;

impl Services for NoServices {
    fn lookup_rn(&self, _number: &str) -> Result<Option<String>, LookupFailed> {
        Ok(None)
    }

    fn stir_validate(&self, call: &Call) -> BTreeMap<String, String> {
        let mut v = BTreeMap::new();
        let verstat = if call.header("Identity").is_some() { "TN-Validation-Passed" } else { "No-TN-Validation" };
        v.insert("stir_verstat".to_owned(), verstat.to_owned());
        v
    }
}

fn applies(t: &Transformation, direction: &str) -> bool {
    t.direction == "any" || t.direction == "undirected" || t.direction == direction
}

/// Applies `list` to `call` in order (those whose direction fits); stops at a `reject`.
/// The list is expected to be valid (see [`parse_list`]); an operand that is not is skipped.
pub fn apply(list: &[Transformation], call: &mut Call, services: &dyn Services) {
    for t in list {
        if call.rejected.is_some() {
            return;
        }
        if applies(t, &call.direction) {
            run(&t.action, &t.operands, call, services);
        }
    }
}

fn rewrite(pattern: &str, replace: &str, value: &str) -> Option<String> {
    let re = compile(pattern).ok()?;
    re.is_match(value).then(|| re.replace(value, replacement(replace).as_str()).into_owned())
}

fn set_param(header: &str, param: &str, value: &str) -> String {
    let mut parts: Vec<String> = header.split(';').map(str::to_owned).collect();
    let pos = parts
        .iter()
        .skip(1)
        .position(|p| p.split('=').next().unwrap_or("").trim().eq_ignore_ascii_case(param))
        .map(|i| i + 1);
    match (pos, value.is_empty()) {
        (Some(i), true) => {
            parts.remove(i);
        }
        (Some(i), false) => parts[i] = format!("{param}={value}"),
        (None, true) => {}
        (None, false) => parts.push(format!("{param}={value}")),
    }
    parts.join(";")
}

fn get_param<'a>(header: &'a str, param: &str) -> Option<&'a str> {
    header.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim().eq_ignore_ascii_case(param).then_some(v.trim())
    })
}

fn run(action: &str, ops: &[String], call: &mut Call, services: &dyn Services) {
    let op = |i: usize| ops.get(i).map(String::as_str).unwrap_or("");
    match action {
        "rewrite_from" => {
            if let Some(v) = rewrite(op(0), op(1), &call.from) {
                call.from = v;
            }
        }
        "rewrite_to" => {
            if let Some(v) = rewrite(op(0), op(1), &call.to) {
                call.to = v;
            }
        }
        "rewrite_from_header_param" | "rewrite_to_header_param" => {
            let params =
                if action == "rewrite_from_header_param" { &mut call.from_params } else { &mut call.to_params };
            if let Some(cur) = params.get(op(0)).cloned() {
                if let Some(v) = rewrite(op(1), op(2), &cur) {
                    params.insert(op(0).to_owned(), v);
                }
            }
        }
        "set_header" => {
            let v = call.interpolate(op(1));
            call.set_header(op(0), v);
        }
        "rewrite_header" => match call.header(op(0)).map(str::to_owned) {
            Some(cur) => {
                if let Some(v) = rewrite(op(1), op(2), &cur) {
                    call.set_header(op(0), v);
                }
            }
            None => {
                let v = call.interpolate(op(3));
                call.set_header(op(0), v);
            }
        },
        "set_header_parameter" => {
            if let Some(cur) = call.header(op(0)).map(str::to_owned) {
                let v = call.interpolate(op(2));
                call.set_header(op(0), set_param(&cur, op(1), &v));
            }
        }
        "rewrite_header_parameter" => {
            let cur = call.header(op(0)).map(str::to_owned);
            let existing = cur.as_deref().and_then(|h| get_param(h, op(1))).map(str::to_owned);
            let new = match existing {
                Some(p) => rewrite(op(2), op(3), &p),
                None => Some(call.interpolate(op(4))),
            };
            if let Some(v) = new {
                let base = cur.unwrap_or_default();
                call.set_header(op(0), set_param(&base, op(1), &v));
            }
        }
        "set_user_data" => {
            let v = call.interpolate(op(1));
            call.user_data.insert(op(0).to_owned(), v);
        }
        "reject" => {
            let code = REJECT_REASONS.iter().find(|(r, _)| *r == op(0)).map(|r| r.1).unwrap_or(403);
            call.rejected = Some((code, op(0).to_owned(), ops.get(1).cloned()));
        }
        "if_match" => {
            let value = call.interpolate(op(0));
            if compile(op(1)).is_ok_and(|re| re.is_match(&value)) {
                run(op(2), &ops[3.min(ops.len())..], call, services);
            }
        }
        "stir_validate" => {
            let vars = services.stir_validate(call);
            call.vars.extend(vars);
        }
        "lookup_rn" => lookup_rn(ops, call, services),
        _ => {}
    }
}

/// `lookup_rn(force, always, phonenumber, destination, on_failure, input_format,
/// output_format_domestic, output_format_international, output_format_guess_not_found)`.
fn lookup_rn(ops: &[String], call: &mut Call, services: &dyn Services) {
    let op = |i: usize, default: &'static str| {
        ops.get(i).map(String::as_str).filter(|s| !s.is_empty()).unwrap_or(default).to_owned()
    };
    let force = op(0, "false") == "true";
    let always = op(1, "false") == "true";
    let number = call.interpolate(&op(2, "{{dst}}"));
    let destination = op(3, "to");
    let on_failure = op(4, "die");
    let input_format = op(5, "guess");
    let out_domestic = op(6, "domestic");
    let out_international = op(7, "passthrough");
    let out_guess_not_found = op(8, "passthrough");

    let params = match destination.as_str() {
        "to" => Some(&call.to_params),
        "from" => Some(&call.from_params),
        _ => None,
    };
    let original_npdi = params.is_some_and(|p| p.contains_key("npdi"));
    if original_npdi && !force {
        return;
    }
    // domestic / guess / international, and the 10 national digits.
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let plus = number.trim_start().starts_with('+');
    let kind = match input_format.as_str() {
        "e164" if digits.len() == 11 && digits.starts_with('1') => "domestic",
        "guess" if digits.len() == 11 && digits.starts_with('1') => "domestic",
        "guess" if !plus && digits.len() == 10 => "guess",
        "ignore_plus" if digits.len() == 11 && digits.starts_with('1') => "domestic",
        "ignore_plus" if digits.len() == 10 => "guess",
        _ => "international",
    };
    let format = |national: &str, how: &str| -> String {
        match how {
            "domestic" => national.to_owned(),
            "e164" => format!("1{national}"),
            "e164_with_plus" => format!("+1{national}"),
            _ => number.clone(),
        }
    };
    let result = if kind == "international" {
        if out_international == "passthrough" {
            return;
        }
        Some(if out_international == "e164" { digits.clone() } else { format!("+{digits}") })
    } else {
        let national = if digits.len() == 11 { digits[1..].to_owned() } else { digits.clone() };
        match services.lookup_rn(&national) {
            Err(LookupFailed) => {
                match on_failure.as_str() {
                    "ignore" => {}
                    "original_npdi_or_die" if original_npdi => {}
                    _ => call.rejected = Some((503, "unavailable".into(), Some("routing number lookup failed".into()))),
                }
                return;
            }
            Ok(Some(rn)) => Some(format(&rn, &out_domestic)),
            Ok(None) if always && kind == "guess" => Some(format(&national, &out_guess_not_found)),
            Ok(None) if always => Some(format(&national, &out_domestic)),
            Ok(None) => None,
        }
    };
    let Some(rn) = result else { return };
    match destination.as_str() {
        "to" | "from" => {
            let p = if destination == "to" { &mut call.to_params } else { &mut call.from_params };
            p.insert("rn".into(), rn);
            p.insert("npdi".into(), String::new());
        }
        header => call.set_header(header, rn),
    }
}

#[cfg(test)]
mod tests;
