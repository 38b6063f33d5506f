use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::repo::{self, random_alnum, EndpointRow};
use super::types::{check_properties, parse_addresses, EndpointInput, ADMIN_UPDATABLE, HOSTED, TYPES, UPDATABLE};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::input::{parse_into, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::{self, Update, UpdateMode};
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::{check_transformations, find_cached, find_visible, respond_found};
use crate::state::AppState;

const WHAT: &str = "endpoint";

pub async fn list_endpoints(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?.map(|r| r.to_wire(caller.admin));
    partners::ops::respond_page(&state, &caller, page, &q, &url, "endpoint_sid").await
}

pub async fn get_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let row = find_cached(&state, &caller, &raw, WHAT, |s| repo::get(&state.pool, s, false)).await?;
    respond_found(&state, &caller, &row, &query, |r, admin| r.to_wire(admin)).await
}

fn hosted_properties(
    state: &AppState,
    kind: &str,
    partner_login: &str,
    given: &Map<String, Value>,
) -> Map<String, Value> {
    let mut props = Map::new();
    let path = match kind {
        "conference" => Some("conference"),
        "flexml" => Some("flexml"),
        "mediator" => Some("mediator"),
        _ => None,
    };
    if let Some(path) = path {
        let base = state.config.endpoint_api_url.trim_end_matches('/');
        props.insert("account_sid".into(), json!(random_alnum(32)));
        props.insert("api_url".into(), json!(format!("{base}/{path}/v1")));
        if kind != "mediator" {
            props.insert("container_sid".into(), Value::Null);
        }
        let n = u16::from_be_bytes([random_alnum(1).as_bytes()[0], random_alnum(1).as_bytes()[0]]) % 1000;
        props.insert("login".into(), json!(format!("{partner_login}_{kind}_{n}")));
        props.insert("password".into(), json!(random_alnum(12)));
    }
    match kind {
        "conference_playback" => {
            props.insert("conference_endpoint_sid".into(), Value::Null);
        }
        "voicemail" => {
            props.insert("callback_method".into(), json!("POST"));
            for k in ["callback_url", "container_sid", "greeting", "max_duration"] {
                props.insert(k.into(), Value::Null);
            }
        }
        _ => {}
    }
    for (k, v) in given {
        props.insert(k.clone(), v.clone());
    }
    props
}

/// A `conference_endpoint_sid` must name a conference endpoint the caller sees, a `container_sid`
/// a storage container the caller sees (where the endpoint keeps its recordings and greetings).
async fn check_references(
    state: &AppState,
    caller: &Caller,
    props: &Map<String, Value>,
    p: &mut Problems,
) -> ApiResult<()> {
    if let Some(Value::String(s)) = props.get("conference_endpoint_sid") {
        let ok = match Uuid::parse_str(s) {
            Ok(sid) => repo::get(&state.pool, sid, false)
                .await?
                .is_some_and(|e| e.kind == "conference" && caller.sees(&e.tree_path)),
            Err(_) => false,
        };
        p.check(ok, "properties.conference_endpoint_sid", "must be one of your conference endpoints");
    }
    if let Some(Value::String(s)) = props.get("container_sid") {
        let ok = match Uuid::parse_str(s) {
            Ok(sid) => crate::resources::storage::repo::get_container(&state.pool, sid, false)
                .await?
                .is_some_and(|c| caller.sees(&c.tree_path)),
            Err(_) => false,
        };
        p.check(ok, "properties.container_sid", "must be one of your storage containers");
    }
    Ok(())
}

pub async fn create_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<EndpointInput>,
) -> ApiResult<Response> {
    p.required("type", &input.kind);
    let kind = input.kind.value().cloned().unwrap_or_default();
    if input.kind.value().is_some() {
        if kind == "system_gateway" {
            p.add("type", "the System Gateway is created with each partner");
        } else if !TYPES.contains(&kind.as_str()) {
            p.add(
                "type",
                format!(
                    "must be one of {}",
                    TYPES.iter().filter(|t| **t != "system_gateway").copied().collect::<Vec<_>>().join(", ")
                ),
            );
        }
    }
    let hosted = HOSTED.contains(&kind.as_str());
    let addresses = parse_addresses(input.addresses.value().map(Vec::as_slice).unwrap_or(&[]), &mut p);
    if kind == "third_party" && input.addresses.value().is_none_or(|a| a.is_empty()) {
        p.add("addresses", "a third_party endpoint needs at least one address with an ip");
    }
    if hosted && !addresses.is_empty() {
        p.add("addresses", format!("a {kind} endpoint is hosted by CarrierX and has no addresses"));
    }
    let capacity = input.capacity.value().copied().unwrap_or(0);
    p.check((0..=i32::MAX as i64).contains(&capacity), "capacity", "must be a non-negative integer");
    let given_props = input.properties.value().cloned().unwrap_or_default();
    if TYPES.contains(&kind.as_str()) {
        check_properties(&kind, &given_props, &mut p);
        check_references(&state, &caller, &given_props, &mut p).await?;
    }
    let transformations = check_transformations(&input.transformations, &mut p);
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    p.finish()?;
    let Some(owner) = owner else { return Err(ApiError::internal("owner checked above")) };
    let properties = hosted_properties(&state, &kind, &owner.login, &given_props);
    let row = EndpointRow {
        id: 0,
        endpoint_sid: Uuid::new_v4(),
        partner_sid: owner.partner_sid,
        name: input.name.value().cloned().unwrap_or_else(|| "N/A".into()),
        kind: kind.clone(),
        capacity: capacity as i32,
        addresses: serde_json::to_value(&addresses).map_err(ApiError::internal)?,
        attributes: Value::Object(input.attributes.value().cloned().unwrap_or_default()),
        properties: Value::Object(properties),
        transformations,
        out_sip_username: input.out_sip_username.value().cloned(),
        out_sip_password: input.out_sip_password.value().cloned(),
        voip_token: (!hosted).then(|| Uuid::new_v4().to_string()),
        allow_custom_caller_id: caller.admin && input.allow_custom_caller_id.value().copied().unwrap_or(false),
        auth_required: if caller.admin { input.auth_required.value().copied().unwrap_or(true) } else { true },
        insecure_address: caller.admin && input.insecure_address.value().copied().unwrap_or(false),
        template_sid: None,
        date_created: chrono::Utc::now(),
        tree_path: owner.tree_path.clone(),
    };
    let mut tx = state.pool.begin().await?;
    let saved = repo::insert(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(Json(saved.to_wire(caller.admin)).into_response())
}

pub async fn update_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<EndpointInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let mut row = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    if row.kind == "system_gateway" {
        return Err(ApiError::invalid("type", "the System Gateway endpoint cannot be modified"));
    }
    let mut updatable: Vec<&str> = UPDATABLE.to_vec();
    if caller.admin {
        updatable.extend_from_slice(ADMIN_UPDATABLE);
    }
    let current = patch::wire_map(&row.to_wire(true))?;
    let mut merged = patch::apply(&current, &update.body, &updatable, update.mode);
    let hosted = HOSTED.contains(&row.kind.as_str());
    let mut p = update.problems.clone();
    if hosted {
        // Only name and capacity change on hosted endpoints (and properties on voicemail).
        let mut allowed = vec!["name", "capacity"];
        if row.kind == "voicemail" {
            allowed.push("properties");
        }
        for key in &updatable {
            if !allowed.contains(key) && !ADMIN_UPDATABLE.contains(key) {
                let now = current.get(*key).cloned().unwrap_or(Value::Null);
                let new = merged.get(*key).cloned().unwrap_or(Value::Null);
                let unchanged = now == new || (update.mode == UpdateMode::Put && !update.body.contains_key(*key));
                if unchanged {
                    merged.insert((*key).to_owned(), now);
                } else {
                    p.add(*key, format!("only name and capacity can change on a {} endpoint", row.kind));
                }
            }
        }
    }
    for k in ["name", "capacity"] {
        if merged.get(k).is_some_and(Value::is_null) {
            merged.insert(k.into(), current[k].clone());
        }
    }
    let input: EndpointInput = parse_into(&merged, &mut p)?;
    let addresses = parse_addresses(input.addresses.value().map(Vec::as_slice).unwrap_or(&[]), &mut p);
    if row.kind == "third_party" && addresses.is_empty() && p.is_empty() {
        p.add("addresses", "a third_party endpoint needs at least one address with an ip");
    }
    let capacity = input.capacity.value().copied().unwrap_or(0);
    p.check((0..=i32::MAX as i64).contains(&capacity), "capacity", "must be a non-negative integer");
    let transformations = check_transformations(&input.transformations, &mut p);
    let mut properties = input.properties.value().cloned().unwrap_or_default();
    let current_props = row.properties.as_object().cloned().unwrap_or_default();
    if !hosted || row.kind == "voicemail" {
        // Generated properties stay; the settable ones are checked.
        let user: Map<String, Value> = properties
            .iter()
            .filter(|(k, v)| {
                !(super::types::generated_properties(&row.kind).contains(&k.as_str())
                    && current_props.get(*k) == Some(*v))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        check_properties(&row.kind, &user, &mut p);
        check_references(&state, &caller, &user, &mut p).await?;
        for g in super::types::generated_properties(&row.kind) {
            if let Some(v) = current_props.get(*g) {
                properties.insert((*g).to_owned(), v.clone());
            }
        }
    } else {
        properties = current_props;
    }
    p.finish()?;
    row.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    row.capacity = capacity as i32;
    row.addresses = serde_json::to_value(&addresses).map_err(ApiError::internal)?;
    row.attributes = Value::Object(input.attributes.value().cloned().unwrap_or_default());
    row.properties = Value::Object(properties);
    row.transformations = transformations;
    if caller.admin {
        row.allow_custom_caller_id =
            input.allow_custom_caller_id.value().copied().unwrap_or(row.allow_custom_caller_id);
        row.auth_required = input.auth_required.value().copied().unwrap_or(row.auth_required);
        row.insecure_address = input.insecure_address.value().copied().unwrap_or(row.insecure_address);
    }
    let saved = repo::save(&mut tx, &row).await?;
    tx.commit().await?;
    state.objects.of::<EndpointRow>().invalidate(&saved.endpoint_sid);
    Ok(Json(saved.to_wire(caller.admin)).into_response())
}

pub async fn delete_endpoint(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let row = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    if row.kind == "system_gateway" {
        return Err(ApiError::invalid("type", "the System Gateway endpoint cannot be deleted"));
    }
    let used = repo::trunks_using(&mut *tx, row.endpoint_sid).await?;
    if used > 0 {
        return Err(ApiError::conflict(
            "endpoint_sid",
            format!("{used} trunk(s) deliver to this endpoint: point them elsewhere first"),
        ));
    }
    repo::delete(&mut *tx, row.endpoint_sid).await?;
    tx.commit().await?;
    state.objects.of::<EndpointRow>().invalidate(&row.endpoint_sid);
    Ok(respond::no_content())
}
