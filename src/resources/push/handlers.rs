use std::collections::HashMap;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::repo::{self, ApplicationRow, DeliveryRow, DeviceRow};
use super::types::{
    ApplicationInput, DeviceInput, NotificationInput, SendSummary, APPLICATION_UPDATABLE, DEVICE_TYPES,
    DEVICE_UPDATABLE, ENVIRONMENTS, MAX_RECIPIENTS, PRIORITIES, SECRETS,
};
use crate::domain::secrets;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_bool, Body, PathParams, QueryParams};
use crate::http::input::{Maybe, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::patch::Update;
use crate::http::respond;
use crate::resources::partners;
use crate::resources::shared::{find_cached, find_visible, respond_found};
use crate::state::AppState;
use crate::traffic;

/// How a secret is shown: `****` and its last four characters (only `****` for a short one).
fn mask(secret: &str) -> String {
    let n = secret.chars().count();
    if n <= 8 {
        "****".to_owned()
    } else {
        format!("****{}", secret.chars().skip(n - 4).collect::<String>())
    }
}

fn secret_input<'a>(input: &'a ApplicationInput, field: &str) -> &'a Maybe<String> {
    match field {
        "apns_p8" => &input.apns_p8,
        "apns_p12" => &input.apns_p12,
        "apns_p12_password" => &input.apns_p12_password,
        "google_credentials" => &input.google_credentials,
        _ => &input.google_key,
    }
}

/// Fills an application from a merged body. A secret whose value is its current mask is kept;
/// a new one is hashed (argon2) with its mask; null or empty clears it.
fn build_application(input: &ApplicationInput, mut a: ApplicationRow, p: &mut Problems) -> ApplicationRow {
    let text = |v: &Maybe<String>| v.value().cloned().filter(|s| !s.is_empty());
    a.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    a.apns_id = text(&input.apns_id);
    a.apns_key_id = text(&input.apns_key_id);
    a.apns_team_id = text(&input.apns_team_id);
    a.apns_topic = text(&input.apns_topic);
    a.google_id = text(&input.google_id);
    let mut kept = Map::new();
    for field in SECRETS {
        let Some(v) = secret_input(input, field).value().filter(|s| !s.is_empty()) else { continue };
        if a.mask(field).as_deref() == Some(v.as_str()) {
            if let Some(current) = a.secrets.get(*field) {
                kept.insert((*field).to_owned(), current.clone());
            }
            continue;
        }
        if v.len() > 65_536 {
            p.add(*field, "must be at most 65536 characters");
            continue;
        }
        kept.insert((*field).to_owned(), json!({"hash": secrets::hash_password(v), "mask": mask(v)}));
    }
    a.secrets = Value::Object(kept);
    a
}

pub async fn create_application(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, .. }: Body<ApplicationInput>,
) -> ApiResult<Response> {
    let owner = partners::ops::owner(&state, &caller, input.partner_sid.value(), &mut p).await?;
    let Some(owner) = owner else {
        p.finish()?;
        return Err(ApiError::internal("owner checked above"));
    };
    let blank = ApplicationRow {
        application_sid: Uuid::new_v4(),
        partner_sid: owner.partner_sid,
        name: String::new(),
        apns_id: None,
        apns_key_id: None,
        apns_team_id: None,
        apns_topic: None,
        apns_p12_expiration: None,
        google_id: None,
        secrets: json!({}),
        tree_path: owner.tree_path.clone(),
    };
    let a = build_application(&input, blank, &mut p);
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::save_application(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(Json(a.to_wire()).into_response())
}

pub async fn list_applications(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::APP_LIST)?;
    let page = repo::list_applications(&state.pool, caller.tenancy(), &q).await?.map(|a| a.to_wire());
    partners::ops::respond_page(&state, &caller, page, &q, &url, "application_sid").await
}

pub async fn get_application(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let a = find_cached(&state, &caller, &raw, "application", |s| repo::get_application(&state.pool, s, false)).await?;
    respond_found(&state, &caller, &a, &query, |r, _| repo::ApplicationRow::to_wire(r)).await
}

pub async fn update_application(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<ApplicationInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let current = find_visible(&caller, &raw, "application", |sid| repo::get_application(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&current.to_wire(), APPLICATION_UPDATABLE)?;
    let a = build_application(&input, current, &mut p);
    p.finish()?;
    repo::save_application(&mut tx, &a).await?;
    tx.commit().await?;
    Ok(Json(a.to_wire()).into_response())
}

pub async fn delete_application(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let a = find_visible(&caller, &raw, "application", |sid| repo::get_application(&state.pool, sid, false)).await?;
    repo::delete_application(&state.pool, a.application_sid).await?;
    Ok(respond::no_content())
}

fn one_of(v: &Maybe<String>, field: &str, allowed: &[&str], p: &mut Problems) {
    if let Some(s) = v.value() {
        p.check(allowed.contains(&s.as_str()), field, &format!("must be one of {}", allowed.join(", ")));
    }
}

fn check_device(input: &DeviceInput, p: &mut Problems) {
    one_of(&input.environment, "environment", ENVIRONMENTS, p);
    one_of(&input.kind, "type", DEVICE_TYPES, p);
    if let Some(t) = input.token.value() {
        p.check(!t.is_empty() && t.len() <= 4096, "token", "must be 1 to 4096 characters");
    }
}

pub async fn create_device(
    State(state): State<AppState>,
    caller: Caller,
    query: QueryParams,
    Body { input, problems: mut p, .. }: Body<DeviceInput>,
) -> ApiResult<Response> {
    let reuse = match query.get("reuse").filter(|s| !s.is_empty()) {
        None => true,
        Some(v) => parse_bool(v).ok_or_else(|| ApiError::bad_param("reuse", "must be true or false"))?,
    };
    p.required("application_sid", &input.application_sid);
    p.required("token", &input.token);
    p.required("type", &input.kind);
    check_device(&input, &mut p);
    let app = match input.application_sid.value() {
        Some(raw) => {
            let found = match Uuid::parse_str(raw) {
                Ok(sid) => repo::get_application(&state.pool, sid, false).await?.filter(|a| caller.sees(&a.tree_path)),
                Err(_) => None,
            };
            if found.is_none() {
                p.add("application_sid", "cannot find application");
            }
            found
        }
        None => None,
    };
    p.finish()?;
    let Some(app) = app else { return Err(ApiError::internal("checked above")) };
    let d = DeviceRow {
        device_sid: Uuid::new_v4(),
        partner_sid: app.partner_sid,
        application_sid: app.application_sid,
        application_version: input.application_version.value().cloned().unwrap_or_default(),
        environment: input.environment.value().cloned().unwrap_or_else(|| "production".into()),
        os_version: input.os_version.value().cloned().unwrap_or_default(),
        token: input.token.value().cloned().unwrap_or_default(),
        kind: input.kind.value().cloned().unwrap_or_default(),
        tree_path: app.tree_path.clone(),
    };
    if reuse {
        if let Some(found) =
            repo::reusable_device(&state.pool, d.partner_sid, &d.token, &d.kind, &d.environment).await?
        {
            return Ok(Json(found.to_wire()).into_response());
        }
    }
    let mut tx = state.pool.begin().await?;
    repo::save_device(&mut tx, &d).await?;
    tx.commit().await?;
    Ok(Json(d.to_wire()).into_response())
}

pub async fn list_devices(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::DEVICE_LIST)?;
    let page = repo::list_devices(&state.pool, caller.tenancy(), &q).await?.map(|d| d.to_wire());
    partners::ops::respond_page(&state, &caller, page, &q, &url, "device_sid").await
}

pub async fn get_device(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let d = find_cached(&state, &caller, &raw, "device", |s| repo::get_device(&state.pool, s, false)).await?;
    respond_found(&state, &caller, &d, &query, |r, _| repo::DeviceRow::to_wire(r)).await
}

pub async fn update_device(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<DeviceInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let mut d = find_visible(&caller, &raw, "device", |sid| repo::get_device(&mut *tx, sid, true)).await?;
    let (input, mut p) = update.input(&d.to_wire(), DEVICE_UPDATABLE)?;
    check_device(&input, &mut p);
    p.required("token", &input.token);
    p.finish()?;
    d.application_version = input.application_version.value().cloned().unwrap_or_default();
    d.environment = input.environment.value().cloned().unwrap_or_else(|| "production".into());
    d.os_version = input.os_version.value().cloned().unwrap_or_default();
    d.token = input.token.value().cloned().unwrap_or_default();
    repo::save_device(&mut tx, &d).await?;
    tx.commit().await?;
    Ok(Json(d.to_wire()).into_response())
}

pub async fn delete_device(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let d = find_visible(&caller, &raw, "device", |sid| repo::get_device(&state.pool, sid, false)).await?;
    repo::delete_device(&state.pool, d.device_sid).await?;
    Ok(respond::no_content())
}

/// Whether the application can reach a device of `kind`: APNs token auth (p8, key ID, team ID) or
/// a certificate (p12) for iOS; Firebase credentials (or the old server key) for Android and web.
fn can_reach(a: &ApplicationRow, kind: &str) -> bool {
    match kind {
        "ios" => (a.has("apns_p8") && a.apns_key_id.is_some() && a.apns_team_id.is_some()) || a.has("apns_p12"),
        _ => a.has("google_credentials") || a.has("google_key"),
    }
}

/// `POST /push/notifications`: the simulated push network takes the notification to each
/// recipient, records each delivery, and answers their outcomes.
pub async fn send_notification(
    State(state): State<AppState>,
    caller: Caller,
    Body { input, problems: mut p, raw }: Body<NotificationInput>,
) -> ApiResult<Response> {
    p.required("recipients", &input.recipients);
    let recipients = input.recipients.value().cloned().unwrap_or_default();
    if input.recipients.value().is_some() {
        p.check(
            !recipients.is_empty() && recipients.len() <= MAX_RECIPIENTS,
            "recipients",
            &format!("must name 1 to {MAX_RECIPIENTS} devices"),
        );
    }
    let mut sids = Vec::new();
    for (i, r) in recipients.iter().enumerate() {
        match Uuid::parse_str(r) {
            Ok(u) => sids.push(u),
            Err(_) => p.add(format!("recipients[{i}]"), "must be a device secure ID"),
        }
    }
    one_of(&input.priority, "priority", PRIORITIES, &mut p);
    if let Some(t) = input.ttl.value() {
        p.check(*t >= 0 && *t <= 2_419_200, "ttl", "must be 0 to 2419200 seconds");
    }
    if let Some(b) = input.ios_badge.value() {
        p.check(*b >= 0, "ios_badge", "must not be negative");
    }
    p.finish()?;
    let found: HashMap<Uuid, (DeviceRow, ApplicationRow)> = repo::recipients(&state.pool, &sids)
        .await?
        .into_iter()
        .filter(|(d, _)| caller.sees(&d.tree_path))
        .map(|(d, a)| (d.device_sid, (d, a)))
        .collect();
    let mut notification = Map::from_iter(raw.into_iter().filter(|(k, _)| k != "recipients"));
    notification.retain(|_, v| !v.is_null());
    let notification = Value::Object(notification);
    let notification_sid = Uuid::new_v4();
    let mut results = Map::new();
    let (mut success, mut failure) = (0, 0);
    let mut rows = Vec::new();
    for sid in &sids {
        let (result, device) = match found.get(sid) {
            None => ("not_found", None),
            Some((d, a)) if !can_reach(a, &d.kind) => ("no_credentials", Some((d, a))),
            Some((d, a)) => ("success", Some((d, a))),
        };
        if result == "success" {
            success += 1;
        } else {
            failure += 1;
        }
        results.insert(sid.to_string(), Value::String(result.into()));
        rows.push(DeliveryRow {
            delivery_sid: Uuid::new_v4(),
            notification_sid,
            partner_sid: device.map(|(d, _)| d.partner_sid).unwrap_or_else(|| caller.partner_sid()),
            device_sid: *sid,
            application_sid: device.map(|(_, a)| a.application_sid),
            device_type: device.map(|(d, _)| d.kind.clone()),
            result: result.into(),
            notification: notification.clone(),
            date_created: chrono::Utc::now(),
        });
    }
    let mut tx = state.pool.begin().await?;
    repo::insert_deliveries(&mut tx, &rows).await?;
    tx.commit().await?;
    let title = notification.get("title").and_then(Value::as_str).unwrap_or("").to_owned();
    traffic::publish(
        &state,
        rows.iter().filter_map(|r| {
            let (d, _) = found.get(&r.device_sid)?;
            Some(
                traffic::Event::new(
                    "push",
                    d.partner_sid,
                    &d.tree_path,
                    format!("Push to {} device {}: {} \u{201c}{title}\u{201d}", d.kind, d.device_sid, r.result),
                )
                .object(d.device_sid, format!("/core/v2/push/devices/{}", d.device_sid))
                .status(&r.result)
                .detail(r.notification.clone()),
            )
        }),
    );
    Ok(Json(SendSummary { failure, results, success }).into_response())
}

/// `GET /admin/simulator/push`: every notification the simulated push network carried, per device.
pub async fn list_deliveries(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::DELIVERY_LIST)?;
    let page = repo::list_deliveries(&state.pool, &q).await?;
    respond::list(page.map(|d| d.to_wire()), &q, &url, "delivery_sid")
}
