//! What access control offers to the resources that carry ACLs (partners, trunk groups, trunks).

use uuid::Uuid;

use super::repo;
use super::types::Acl;
use crate::http::error::ApiResult;
use crate::http::input::Problems;
use crate::state::AppState;

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
