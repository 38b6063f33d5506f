//! Access control decisions: which action the effective ACLs take on a call or a message.
//!
//! A rule compares one field of the call or message (`calling`/`from`, `called`/`to`,
//! `message`) with its entries (`exact`, `prefix`, or `regexp`, searched anywhere unless
//! anchored), and matches when `any`, `all` or `none` of its entries match. An ACL applies when
//! its direction is the event's or `any`; its `*_action_true` is taken when any of its rules
//! matches, `*_action_false` when none does (no action: the ACL says nothing). Layers are read
//! from the top-most (layer 1); the first `reject*` decides; without one the event is accepted.

use std::collections::HashMap;

use super::patterns::compile;
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub sid: Uuid,
    pub field: String,
    pub operation: String,
    pub quantifier: String,
    pub entries: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acl {
    pub rules: Vec<Uuid>,
    pub direction: String,
    pub voice_action_true: Option<String>,
    pub voice_action_false: Option<String>,
    pub sms_action_true: Option<String>,
    pub sms_action_false: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Voice,
    Sms,
}

/// A call or a message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Event {
    pub direction: String,
    pub from: String,
    pub to: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// `accept`, `reject`, `reject403` or `reject503`.
    pub action: String,
    /// Where the deciding ACL is: (layer, index of the ACL in it).
    pub acl: Option<(u32, usize)>,
    /// The rule that matched, when the decision came from a match.
    pub rule: Option<Uuid>,
}

pub const VOICE_FIELDS: &[&str] = &["calling", "called", "from", "to"];
pub const SMS_FIELDS: &[&str] = &["from", "to", "message", "from_did", "to_did"];

fn field_value<'a>(field: &str, e: &'a Event) -> &'a str {
    match field {
        "calling" | "from" | "from_did" => &e.from,
        "called" | "to" | "to_did" => &e.to,
        "message" => &e.message,
        _ => "",
    }
}

fn entry_matches(operation: &str, entry: &str, value: &str) -> bool {
    match operation {
        "exact" => value == entry,
        "prefix" => value.starts_with(entry),
        "regexp" => compile(entry).is_ok_and(|re| re.is_match(value)),
        _ => false,
    }
}

pub fn rule_matches(rule: &Rule, e: &Event) -> bool {
    let value = field_value(&rule.field, e);
    let mut hits = rule.entries.iter().map(|entry| entry_matches(&rule.operation, entry, value));
    match rule.quantifier.as_str() {
        "any" => hits.any(|h| h),
        "all" => !rule.entries.is_empty() && hits.all(|h| h),
        "none" => !hits.any(|h| h),
        _ => false,
    }
}

pub fn applies(acl: &Acl, direction: &str) -> bool {
    acl.direction == "any" || acl.direction == direction
}

/// The decision of `layers` (layer number, its ACLs) on an event.
pub fn evaluate(layers: &[(u32, Vec<Acl>)], rules: &HashMap<Uuid, Rule>, kind: Kind, e: &Event) -> Decision {
    let mut last_accept = None;
    for (layer, acls) in layers {
        for (i, acl) in acls.iter().enumerate() {
            if !applies(acl, &e.direction) {
                continue;
            }
            let matched = acl.rules.iter().filter_map(|sid| rules.get(sid)).find(|r| rule_matches(r, e)).map(|r| r.sid);
            let (on_true, on_false) = match kind {
                Kind::Voice => (&acl.voice_action_true, &acl.voice_action_false),
                Kind::Sms => (&acl.sms_action_true, &acl.sms_action_false),
            };
            let action = if matched.is_some() { on_true } else { on_false };
            match action.as_deref() {
                None => {}
                Some("accept") => {
                    last_accept = Some(Decision { action: "accept".into(), acl: Some((*layer, i)), rule: matched })
                }
                Some(reject) => return Decision { action: reject.to_owned(), acl: Some((*layer, i)), rule: matched },
            }
        }
    }
    last_accept.unwrap_or(Decision { action: "accept".into(), acl: None, rule: None })
}

#[cfg(test)]
mod tests;
