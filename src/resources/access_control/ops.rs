//! What access control offers to the resources that carry ACLs (partners, trunk groups, trunks).

use std::collections::HashMap;

use uuid::Uuid;

use super::repo;
use super::types::Acl;
use crate::domain::access_control::{self as decide_acl, Decision, Event, Kind};
use crate::http::error::ApiResult;
use crate::http::input::Problems;
use crate::resources::partners;
use crate::state::AppState;

/// The ACLs stored on an object (`acls`, `parent_assigned_acls`); anything unreadable is none.
pub fn acls_of(v: &serde_json::Value) -> Vec<Acl> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// The effective ACL layers of the partner at `tree_path`: one per partner from the top-most
/// ancestor down to it (its parent-assigned ACLs first, then its own), numbered from 1. Each
/// partner's ACLs come from their own cache (a charge, which changes the partner, leaves them);
/// those not cached are read in one query.
pub async fn partner_layers(state: &AppState, tree_path: &str) -> ApiResult<Vec<(u32, Vec<Acl>)>> {
    let sids: Vec<Uuid> = tree_path.split('/').filter_map(|s| Uuid::parse_str(s).ok()).collect();
    let cache = state.objects.of::<partners::repo::PartnerAcls>();
    let mut found: HashMap<Uuid, std::sync::Arc<crate::cache::Cached<partners::repo::PartnerAcls>>> =
        sids.iter().filter_map(|s| cache.get(s).map(|a| (*s, a))).collect();
    let missing: Vec<Uuid> = sids.iter().filter(|s| !found.contains_key(s)).copied().collect();
    if !missing.is_empty() {
        let generation = cache.generation();
        for row in partners::repo::partner_acls(&state.pool, &missing).await? {
            let sid = row.partner_sid;
            let cached = std::sync::Arc::new(crate::cache::Cached::new(row));
            cache.put(sid, cached.clone(), generation);
            found.insert(sid, cached);
        }
    }
    Ok(sids
        .iter()
        .enumerate()
        .map(|(i, sid)| {
            let mut acls = Vec::new();
            if let Some(a) = found.get(sid) {
                acls.extend(acls_of(&a.parent_assigned_acls));
                acls.extend(acls_of(&a.acls));
            }
            (i as u32 + 1, acls)
        })
        .collect())
}

/// The ACLs of `layers` that say something about `kind`, as the evaluator reads them.
pub fn domain_layers(layers: &[(u32, Vec<Acl>)], kind: Kind) -> Vec<(u32, Vec<decide_acl::Acl>)> {
    let applies = |a: &&Acl| match kind {
        Kind::Voice => a.voice_action_true.is_some() || a.voice_action_false.is_some(),
        Kind::Sms => a.sms_action_true.is_some() || a.sms_action_false.is_some(),
    };
    layers
        .iter()
        .map(|(n, acls)| {
            let acls = acls
                .iter()
                .filter(applies)
                .map(|a| decide_acl::Acl {
                    rules: a.access_control_rules.iter().filter_map(|s| Uuid::parse_str(s).ok()).collect(),
                    direction: a.direction.clone(),
                    voice_action_true: a.voice_action_true.clone(),
                    voice_action_false: a.voice_action_false.clone(),
                    sms_action_true: a.sms_action_true.clone(),
                    sms_action_false: a.sms_action_false.clone(),
                })
                .collect();
            (*n, acls)
        })
        .collect()
}

/// The rules the ACLs of `layers` name, read in one query.
pub async fn rules_of(
    state: &AppState,
    layers: &[(u32, Vec<decide_acl::Acl>)],
) -> ApiResult<HashMap<Uuid, decide_acl::Rule>> {
    let sids: Vec<Uuid> = layers.iter().flat_map(|(_, a)| a.iter().flat_map(|a| a.rules.iter().copied())).collect();
    if sids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(repo::get_many(&state.pool, &sids).await?.into_iter().map(|r| (r.rule_sid, r.to_domain())).collect())
}

/// The decision of the effective ACL `layers` on a call or a message (the rules they name read
/// in one query).
pub async fn decide(state: &AppState, layers: &[(u32, Vec<Acl>)], kind: Kind, event: &Event) -> ApiResult<Decision> {
    let domain_layers = domain_layers(layers, kind);
    let rules = rules_of(state, &domain_layers).await?;
    Ok(decide_acl::evaluate(&domain_layers, &rules, kind, event))
}

/// Every rule an ACL names must be a rule its owner (the partner at `tree_path`) sees.
pub async fn check_acl_rules(
    state: &AppState,
    tree_path: &str,
    field: &str,
    acls: &[Acl],
    p: &mut Problems,
) -> ApiResult<()> {
    let sids: Vec<Uuid> =
        acls.iter().flat_map(|a| a.access_control_rules.iter()).filter_map(|s| Uuid::parse_str(s).ok()).collect();
    if sids.is_empty() {
        return Ok(());
    }
    let found = repo::visible(&state.pool, tree_path, &sids).await?;
    for (i, acl) in acls.iter().enumerate() {
        for (j, s) in acl.access_control_rules.iter().enumerate() {
            if let Ok(u) = Uuid::parse_str(s) {
                if !found.iter().any(|r| r.rule_sid == u) {
                    p.add(format!("{field}[{i}].access_control_rules[{j}]"), "cannot find access control rule");
                }
            }
        }
    }
    Ok(())
}
