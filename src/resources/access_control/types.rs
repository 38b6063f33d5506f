use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::patterns::compile;
use crate::http::input::Problems;

/// The ACL object (`acls`, `parent_assigned_acls`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Acl {
    #[serde(default)]
    pub access_control_rules: Vec<String>,
    #[serde(default = "any")]
    pub direction: String,
    #[serde(default)]
    pub sms_action_false: Option<String>,
    #[serde(default)]
    pub sms_action_true: Option<String>,
    #[serde(default)]
    pub voice_action_false: Option<String>,
    #[serde(default)]
    pub voice_action_true: Option<String>,
}

fn any() -> String {
    "any".into()
}

pub const DIRECTIONS: &[&str] = &["any", "inbound", "outbound", "undirected"];
pub const SMS_ACTIONS: &[&str] = &["accept", "reject"];
pub const VOICE_ACTIONS: &[&str] = &["accept", "reject403", "reject503"];

/// Checks the shape of a list of ACLs; `voice_only` for trunk groups and trunks, whose SMS
/// actions must be null. The rule SIDs must be secure IDs.
pub fn validate(field: &str, acls: &[Acl], voice_only: bool, p: &mut Problems) {
    for (i, acl) in acls.iter().enumerate() {
        let at = |name: &str| format!("{field}[{i}].{name}");
        if !DIRECTIONS.contains(&acl.direction.as_str()) {
            p.add(at("direction"), format!("must be one of {}", DIRECTIONS.join(", ")));
        }
        for (name, v) in [("sms_action_false", &acl.sms_action_false), ("sms_action_true", &acl.sms_action_true)] {
            match v {
                Some(_) if voice_only => p.add(at(name), "must be null: this object carries voice only"),
                Some(a) if !SMS_ACTIONS.contains(&a.as_str()) => p.add(at(name), "must be accept or reject"),
                _ => {}
            }
        }
        for (name, v) in
            [("voice_action_false", &acl.voice_action_false), ("voice_action_true", &acl.voice_action_true)]
        {
            if let Some(a) = v {
                if !VOICE_ACTIONS.contains(&a.as_str()) {
                    p.add(at(name), "must be accept, reject403 or reject503");
                }
            }
        }
        for (j, sid) in acl.access_control_rules.iter().enumerate() {
            if Uuid::parse_str(sid).is_err() {
                p.add(format!("{field}[{i}].access_control_rules[{j}]"), "must be an access control rule secure ID");
            }
        }
    }
}

/// The Access Control Rule object. `read_only` is true for the rules of the caller's ancestors.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AccessControlRule {
    pub entries: Vec<String>,
    pub field: String,
    pub name: String,
    pub operation: String,
    pub quantifier: String,
    pub read_only: bool,
    pub rule_sid: Uuid,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    #[serde(default)]
    pub entries: crate::http::input::Maybe<Vec<String>>,
    #[serde(default)]
    pub field: crate::http::input::Maybe<String>,
    #[serde(default)]
    pub name: crate::http::input::Maybe<String>,
    #[serde(default)]
    pub operation: crate::http::input::Maybe<String>,
    #[serde(default)]
    pub quantifier: crate::http::input::Maybe<String>,
    #[serde(default)]
    pub read_only: crate::http::input::Ignored,
    #[serde(default)]
    pub rule_sid: crate::http::input::Ignored,
}

pub const RULE_UPDATABLE: &[&str] = &["entries", "field", "name", "operation", "quantifier"];
pub const FIELDS: &[&str] = &["called", "calling", "from", "from_did", "message", "to", "to_did"];

/// One layer of effective ACLs.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EffectiveLayer {
    pub effective_acls: Vec<Acl>,
    pub layer: u32,
}

/// Checks a rule's values, naming every bad field (`entries[i]` for a pattern that does not compile).
pub fn validate_rule(field: &str, operation: &str, quantifier: &str, entries: &[String], p: &mut Problems) {
    p.check(FIELDS.contains(&field), "field", &format!("must be one of {}", FIELDS.join(", ")));
    p.check(["exact", "prefix", "regexp"].contains(&operation), "operation", "must be exact, prefix or regexp");
    p.check(["all", "any", "none"].contains(&quantifier), "quantifier", "must be all, any or none");
    p.check(!entries.is_empty(), "entries", "needs at least one entry");
    for (i, e) in entries.iter().enumerate() {
        if e.is_empty() {
            p.add(format!("entries[{i}]"), "must not be empty");
        } else if operation == "regexp" {
            if let Err(err) = compile(e) {
                p.add(format!("entries[{i}]"), format!("invalid regular expression: {err}"));
            }
        }
    }
}
