//! The path of a call through the objects it passes (a DID or prefix, partners, a trunk group, a
//! trunk, an endpoint): at each object ("hop") its ACL layers decide first, then its
//! transformations apply, one by one, to the numbers as the hops before left them. The first
//! rejection (an ACL's `reject403`/`reject503`, or a `reject` transformation) ends the walk.
//! Every decision is a [`Step`] of the call's trace.
//!
//! Which hops a call passes, and in which order, is the simulator's (`resources::calls::network`):
//! inbound DID (or prefix) → partner → trunk group → trunk → endpoint; outbound the other way.

use std::collections::HashMap;

use serde::Serialize;
use uuid::Uuid;

use super::access_control::{self as acl, Acl, Event, Kind, Rule};
use super::transformations::{self as tr, Call, Services, Transformation};

/// One object on the path.
pub struct Hop<'a> {
    /// `did`, `prefix`, `partner`, `trunk_group`, `trunk`, `endpoint`.
    pub object: &'static str,
    pub sid: Uuid,
    /// The ACL layers the object contributes (layer number as the effective ACLs number them).
    pub layers: Vec<(u32, Vec<Acl>)>,
    pub transformations: &'a [Transformation],
}

/// The numbers of a call at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Numbers {
    pub from: String,
    pub to: String,
}

/// One decision of a call's path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Step {
    /// `match` (what the number dialed is), `acl`, `transformation`, `route` (a trunk chosen or
    /// skipped), `limit` (capacity, money).
    pub step: String,
    /// The object deciding: `did`, `prefix`, `partner`, `trunk_group`, `trunk`, `endpoint`.
    pub object: String,
    pub object_sid: Option<Uuid>,
    /// ACL steps: the layer; transformation steps: the transformation's place in the object's list.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// ACL steps: `accept`, `reject403`, `reject503`, or `none` (no ACL of the layer decided);
    /// transformation steps: the action; route steps: `chosen` or `skipped`.
    pub result: String,
    /// ACL steps: the rule that matched, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_sid: Option<Uuid>,
    /// Transformation steps: the numbers before and after.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Numbers>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Numbers>,
    /// What happened, in words.
    pub detail: String,
}

impl Step {
    pub fn new(step: &str, object: &str, object_sid: Option<Uuid>, result: &str, detail: String) -> Self {
        Step {
            step: step.into(),
            object: object.into(),
            object_sid,
            layer: None,
            index: None,
            result: result.into(),
            rule_sid: None,
            before: None,
            after: None,
            detail,
        }
    }
}

/// Why a walk ended early: the SIP code and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    pub sip_code: u16,
    pub reason: String,
}

/// The SIP code of an ACL action (`reject403` → 403, `reject503` → 503, `reject` → 403).
pub fn acl_code(action: &str) -> u16 {
    action.strip_prefix("reject").and_then(|c| c.parse().ok()).unwrap_or(403)
}

fn numbers(c: &Call) -> Numbers {
    Numbers { from: c.from.clone(), to: c.to.clone() }
}

/// Walks `hops` in order, appending to `steps`; answers the rejection that ended it, if any.
pub fn walk(
    call: &mut Call,
    hops: &[Hop<'_>],
    rules: &HashMap<Uuid, Rule>,
    services: &dyn Services,
    steps: &mut Vec<Step>,
) -> Option<Rejection> {
    for hop in hops {
        for layer in &hop.layers {
            let event = Event {
                direction: call.direction.clone(),
                from: call.from.clone(),
                to: call.to.clone(),
                message: String::new(),
            };
            let d = acl::evaluate(std::slice::from_ref(layer), rules, Kind::Voice, &event);
            let decided = d.acl.is_some();
            let result = if decided { d.action.clone() } else { "none".to_owned() };
            let detail = match d.acl {
                Some((_, i)) => format!(
                    "ACL {i} of the {} ({} {} → {}) says {}",
                    hop.object.replace('_', " "),
                    call.direction,
                    call.from,
                    call.to,
                    d.action
                ),
                None => format!("no ACL of the {} applies to this call", hop.object.replace('_', " ")),
            };
            let mut s = Step::new("acl", hop.object, Some(hop.sid), &result, detail);
            s.layer = Some(layer.0);
            s.rule_sid = d.rule;
            steps.push(s);
            if decided && d.action != "accept" {
                return Some(Rejection {
                    sip_code: acl_code(&d.action),
                    reason: format!("rejected by an ACL of the {} (layer {})", hop.object.replace('_', " "), layer.0),
                });
            }
        }
        for (i, t) in hop.transformations.iter().enumerate() {
            if !(t.direction == "any" || t.direction == "undirected" || t.direction == call.direction) {
                continue;
            }
            let before = numbers(call);
            tr::apply(std::slice::from_ref(t), call, services);
            let after = numbers(call);
            let detail = match &call.rejected {
                Some((code, reason, _)) => format!("{} rejects the call: {code} {reason}", t.action),
                None if before != after => format!("{} rewrote the numbers", t.action),
                None => format!("{} left the numbers as they were", t.action),
            };
            let mut s = Step::new("transformation", hop.object, Some(hop.sid), &t.action, detail);
            s.index = Some(i);
            s.before = Some(before);
            s.after = Some(after);
            steps.push(s);
            if let Some((code, reason, _)) = &call.rejected {
                return Some(Rejection {
                    sip_code: *code,
                    reason: format!("rejected by a transformation of the {}: {reason}", hop.object.replace('_', " ")),
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests;
