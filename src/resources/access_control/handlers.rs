use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::ops::{self, acls_of};
use super::repo::{self, RuleRow};
use super::types::{validate_rule, EffectiveLayer, RuleInput, DIRECTIONS, RULE_UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::listing::{Field, ListQuery, ListSpec, Page, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::shared::{find_cached, find_visible};
use crate::resources::{partners, trunk_groups};
use crate::state::AppState;

/// A rule the caller sees (its own or an ancestor's; any through admin routes).
/// A rule the caller sees (its own or an ancestor's; any through admin routes).
async fn find<'e>(db: impl sqlx::PgExecutor<'e>, caller: &Caller, raw: &str, lock: bool) -> ApiResult<RuleRow> {
    find_visible(caller, raw, "access control rule", |sid| repo::get(db, sid, lock)).await
}

/// Every field a rule's check reads is there (and of its type).
fn complete(input: &RuleInput) -> bool {
    input.field.value().is_some()
        && input.operation.value().is_some()
        && input.quantifier.value().is_some()
        && input.entries.value().is_some()
}

pub async fn create_rule(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<RuleInput>,
) -> ApiResult<Response> {
    p.required("entries", &input.entries);
    p.required("field", &input.field);
    p.required("operation", &input.operation);
    p.required("quantifier", &input.quantifier);
    let row = RuleRow {
        rule_sid: Uuid::new_v4(),
        partner_sid: caller.partner_sid(),
        name: input.name.value().cloned().unwrap_or_else(|| "N/A".into()),
        field: input.field.value().cloned().unwrap_or_default(),
        operation: input.operation.value().cloned().unwrap_or_default(),
        quantifier: input.quantifier.value().cloned().unwrap_or_default(),
        entries: input.entries.value().cloned().unwrap_or_default(),
        tree_path: caller.principal.tree_path.clone(),
    };
    if complete(&input) {
        validate_rule(&row.field, &row.operation, &row.quantifier, &row.entries, &mut p);
    }
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::upsert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Json(row.to_wire(caller.tenancy())).into_response())
}

pub async fn list_rules(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|r| r.to_wire(caller.tenancy())), &q, &url, "rule_sid")
}

pub async fn get_rule(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let r = find_cached(&state, &caller, &raw, "access control rule", |s| repo::get(&state.pool, s, false)).await?;
    respond::object(&r.to_wire(caller.tenancy()), &query)
}

/// A parent's rule (read only for the caller) cannot be changed or deleted: 403.
fn writable(caller: &Caller, r: &RuleRow) -> ApiResult<()> {
    if r.to_wire(caller.tenancy()).read_only {
        Err(ApiError::Forbidden)
    } else {
        Ok(())
    }
}

pub async fn update_rule(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<RuleInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let mut r = find(&mut *tx, &caller, &raw, true).await?;
    writable(&caller, &r)?;
    let (input, mut p) = update.input(&r.to_wire(caller.tenancy()), RULE_UPDATABLE)?;
    for (f, v) in [("field", &input.field), ("operation", &input.operation), ("quantifier", &input.quantifier)] {
        p.required(f, v);
    }
    p.required("entries", &input.entries);
    r.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    r.field = input.field.value().cloned().unwrap_or_default();
    r.operation = input.operation.value().cloned().unwrap_or_default();
    r.quantifier = input.quantifier.value().cloned().unwrap_or_default();
    r.entries = input.entries.value().cloned().unwrap_or_default();
    if complete(&input) {
        validate_rule(&r.field, &r.operation, &r.quantifier, &r.entries, &mut p);
    }
    p.finish()?;
    repo::upsert(&mut tx, &r).await?;
    tx.commit().await?;
    state.objects.of::<RuleRow>().invalidate(&r.rule_sid);
    Ok(Json(r.to_wire(caller.tenancy())).into_response())
}

pub async fn delete_rule(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let r = find(&mut *tx, &caller, &raw, true).await?;
    writable(&caller, &r)?;
    let used = repo::uses(&mut *tx, r.rule_sid).await?;
    if used > 0 {
        return Err(ApiError::conflict(
            "rule_sid",
            format!("{used} access control list(s) use this rule: take it out of them first"),
        ));
    }
    repo::delete(&mut *tx, r.rule_sid).await?;
    tx.commit().await?;
    state.objects.of::<RuleRow>().invalidate(&r.rule_sid);
    Ok(respond::no_content())
}

// ---- effective ACLs ----

/// The effective list has no filterable fields; paging and field filtering only.
const EFFECTIVE: ListSpec = ListSpec {
    fields: &[] as &[Field],
    sid: "layer",
    default_order: "layer",
    default_limit: 10,
    total: true,
    keyset: None,
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Calls,
    Sms,
}

async fn effective(state: AppState, caller: Caller, url: RequestUrl, kind: Kind) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &EFFECTIVE)?;
    let query = &url.query;
    let direction = match query.get("direction").filter(|s| !s.is_empty()) {
        None => None,
        Some(d) if DIRECTIONS.contains(&d) => Some(d.to_owned()),
        Some(_) => return Err(ApiError::bad_param("direction", "must be any, inbound, outbound or undirected")),
    };
    let sid_param = |name: &str| -> ApiResult<Option<Uuid>> {
        match query.get(name).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => Uuid::parse_str(s).map(Some).map_err(|_| ApiError::bad_param(name, "must be a secure ID")),
        }
    };
    let (mut group, mut trunk) = (None, None);
    if kind == Kind::Calls {
        if let Some(t) = sid_param("trunk_sid")? {
            let tg_sid = match sid_param("trunk_group_sid")? {
                Some(g) => g,
                None => trunk_groups::repo::group_of_trunk(&state.pool, t)
                    .await?
                    .ok_or_else(|| ApiError::not_found("trunk"))?,
            };
            trunk = Some(
                trunk_groups::repo::get_trunk(&state.pool, tg_sid, t, false)
                    .await?
                    .ok_or_else(|| ApiError::not_found("trunk"))?,
            );
            group = Some(tg_sid);
        } else if let Some(g) = sid_param("trunk_group_sid")? {
            group = Some(g);
        }
    }
    let group = match group {
        Some(g) => match trunk_groups::repo::get_group(&state.pool, g, false).await? {
            Some(row) if caller.sees(&row.tree_path) => Some(row),
            _ => return Err(ApiError::not_found("trunk group")),
        },
        None => None,
    };
    let partner_sid = match (sid_param("partner_sid")?, &group) {
        (Some(p), Some(g)) if p != g.partner_sid => {
            return Err(ApiError::bad_param("trunk_group_sid", "is not a trunk group of that partner"))
        }
        (Some(p), _) => p,
        (None, Some(g)) => g.partner_sid,
        (None, None) => caller.partner_sid(),
    };
    let partner = match partners::ops::find(&state, partner_sid).await? {
        Some(p) if caller.sees(&p.tree_path) => p,
        _ => return Err(ApiError::not_found("partner")),
    };
    let mut layers = ops::partner_layers(&state, &partner.tree_path).await?;
    if let Some(g) = &group {
        layers.push((layers.len() as u32 + 1, acls_of(&g.acls)));
    }
    if let Some(t) = &trunk {
        layers.push((layers.len() as u32 + 1, acls_of(&t.acls)));
    }
    let items: Vec<EffectiveLayer> = layers
        .into_iter()
        .map(|(layer, acls)| EffectiveLayer {
            layer,
            effective_acls: acls
                .into_iter()
                .filter(|a| match kind {
                    Kind::Calls => a.voice_action_true.is_some() || a.voice_action_false.is_some(),
                    Kind::Sms => a.sms_action_true.is_some() || a.sms_action_false.is_some(),
                })
                .filter(|a| direction.as_deref().is_none_or(|d| a.direction == d || a.direction == "any"))
                .collect(),
        })
        .filter(|l| !l.effective_acls.is_empty())
        .collect();
    let total = items.len() as i64;
    let page_items: Vec<EffectiveLayer> = items.into_iter().skip(q.offset as usize).take(q.limit as usize).collect();
    let has_more = q.offset + (page_items.len() as i64) < total;
    respond::list(Page { items: page_items, has_more, total: Some(total) }, &q, &url, "layer")
}

pub async fn effective_calls(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    effective(state, caller, url, Kind::Calls).await
}

pub async fn effective_sms(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    effective(state, caller, url, Kind::Sms).await
}
