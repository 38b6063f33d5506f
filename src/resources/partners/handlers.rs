use crate::domain::callback_url::OwnAddresses;
use crate::resources::shared::check_callback_url;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use uuid::Uuid;

use super::ops::{self, validate_password, visible};
use super::repo::{self, EmailKind, PartnerRow};
use super::types::{PartnerInput, ADMIN_UPDATABLE, CALLBACK_TYPES, STATUSES, UPDATABLE};
use crate::config::EmailVerification;
use crate::domain::money::Money;
use crate::domain::scopes::ScopeSet;
use crate::domain::secrets;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{parse_sid, Body, PathParams, QueryParams};
use crate::http::input::{bad_emails, parse_into, Maybe, Problems};
use crate::http::listing::{ApiBase, ListQuery, RequestUrl};
use crate::http::patch::{self, Update};
use crate::http::respond;
use crate::resources::access_control::ops::check_acl_rules;
use crate::resources::access_control::types as acl;
use crate::resources::countries;
use crate::resources::endpoints;
use crate::resources::shared::check_transformations;
use crate::state::AppState;

pub async fn list_partners(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?;
    respond::list(page.map(|r| r.to_wire(caller.admin)), &q, &url, "partner_sid")
}

pub async fn get_partner(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(sid): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let row = visible(&state, &caller, &sid).await?;
    if caller.admin {
        return respond::object(&row.to_wire(true), &query);
    }
    respond::json_bytes(ops::public_json(&row), &query)
}

fn validate_login(login: &str, p: &mut Problems) {
    let ok = !login.is_empty()
        && login.len() <= 64
        && login.chars().all(|c| c.is_ascii_alphanumeric() || "_.@+-".contains(c));
    p.check(ok, "login", "must be 1 to 64 letters, digits or _ . @ + -");
}

fn validate_money(field: &str, v: &Maybe<Money>, p: &mut Problems) {
    if let Maybe::Value(m) = v {
        p.check(m.0 >= Decimal::ZERO, field, "must not be negative");
    }
}

fn validate_emails(field: &str, v: &Maybe<String>, p: &mut Problems) {
    if let Maybe::Value(s) = v {
        if !s.trim().is_empty() {
            let bad = bad_emails(s);
            if !bad.is_empty() {
                p.add(field, format!("not a valid e-mail address: {}", bad.join(", ")));
            }
        }
    }
}

fn validate_callbacks(own: &OwnAddresses, v: &Maybe<Map<String, Value>>, p: &mut Problems) {
    if let Maybe::Value(map) = v {
        for (k, url) in map {
            if !CALLBACK_TYPES.contains(&k.as_str()) {
                p.add(
                    format!("callbacks.{k}"),
                    format!("unknown callback type; allowed: {}", CALLBACK_TYPES.join(", ")),
                );
                continue;
            }
            match url {
                Value::Null => {}
                Value::String(s) => check_callback_url(own, &format!("callbacks.{k}"), s, p),
                _ => p.add(format!("callbacks.{k}"), "must be an http(s) URL"),
            }
        }
    }
}

/// Checks everything that does not need the database.
fn validate_common(own: &OwnAddresses, input: &PartnerInput, p: &mut Problems) {
    for (f, v) in [
        ("owner_email", &input.owner_email),
        ("tech_email", &input.tech_email),
        ("billing_email", &input.billing_email),
    ] {
        validate_emails(f, v, p);
    }
    for (f, v) in [
        ("charge_at", &input.charge_at),
        ("prepay_amount", &input.prepay_amount),
        ("spending_limit", &input.spending_limit),
        ("daily_spending_limit", &input.daily_spending_limit),
    ] {
        validate_money(f, v, p);
    }
    validate_callbacks(own, &input.callbacks, p);
    if let Maybe::Value(a) = &input.acls {
        acl::validate("acls", a, false, p);
    }
    if let Maybe::Value(a) = &input.parent_assigned_acls {
        acl::validate("parent_assigned_acls", a, false, p);
    }
    if let Maybe::Value(s) = &input.state {
        p.check(
            s.is_empty() || (s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic())),
            "state",
            "must be a two-letter code",
        );
    }
    if let Maybe::Value(pw) = &input.password {
        validate_password(pw, "password", p);
    }
}

async fn validate_country(state: &AppState, v: &Maybe<String>, p: &mut Problems) -> ApiResult<Option<String>> {
    match v {
        Maybe::Value(c) if !c.is_empty() => {
            let code = c.to_ascii_uppercase();
            if countries::repo::exists(&state.pool, &code).await? {
                Ok(Some(code))
            } else {
                p.add("country_code", "must be an ISO 3166-1 alpha-3 country code");
                Ok(None)
            }
        }
        _ => Ok(None),
    }
}

fn admin_scopes(v: &Maybe<Vec<String>>, p: &mut Problems) -> Option<ScopeSet> {
    match v {
        Maybe::Value(list) => match ScopeSet::parse_all(list) {
            Ok(set) => Some(set),
            Err(bad) => {
                p.add("available_scopes", format!("unknown scopes: {}", bad.join(", ")));
                None
            }
        },
        Maybe::Null => Some(ScopeSet::EMPTY),
        Maybe::Absent => None,
    }
}

fn nonempty(v: &Maybe<String>) -> Option<String> {
    v.value().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

fn json_or(v: Option<&impl serde::Serialize>, empty: Value) -> ApiResult<Value> {
    match v {
        Some(x) => serde_json::to_value(x).map_err(ApiError::internal),
        None => Ok(empty),
    }
}

pub async fn create_partner(
    State(state): State<AppState>,
    caller: Caller,
    ApiBase(api): ApiBase,
    Body { input, problems: mut p, .. }: Body<PartnerInput>,
) -> ApiResult<Response> {
    p.required("login", &input.login);
    p.required("password", &input.password);
    if let Maybe::Value(l) = &input.login {
        validate_login(l, &mut p);
    }
    validate_common(&state.own, &input, &mut p);
    let transformations = check_transformations(&input.transformations, &mut p);
    let payment_type = input.payment_type.value().cloned().unwrap_or_else(|| "prepay".into());
    p.check(payment_type == "prepay" || payment_type == "postpay", "payment_type", "must be prepay or postpay");
    let country_code = validate_country(&state, &input.country_code, &mut p).await?;
    let scopes = if caller.admin { admin_scopes(&input.available_scopes, &mut p) } else { None };
    let status = if caller.admin { input.status.value().cloned() } else { None };
    if let Some(s) = &status {
        p.check(
            STATUSES.contains(&s.as_str()),
            "status",
            "must be one of active, canceled, suspended, unconfirmed, unverified",
        );
    }
    let parent = match nonempty(&input.parent_sid) {
        None => ops::find(&state, caller.partner_sid()).await?,
        Some(raw) => match Uuid::parse_str(&raw) {
            Ok(sid) => ops::find(&state, sid).await?.filter(|r| caller.sees(&r.tree_path)),
            Err(_) => None,
        },
    };
    if parent.is_none() {
        p.add("parent_sid", "cannot find partner");
    }
    p.finish()?;
    let Some(parent) = parent else { return Err(ApiError::internal("parent checked above")) };
    let sid = Uuid::new_v4();
    let tree_path = format!("{}{}/", parent.tree_path, sid);
    let mut p = Problems::new();
    check_acl_rules(&state, &tree_path, "acls", input.acls.value().map(Vec::as_slice).unwrap_or(&[]), &mut p).await?;
    check_acl_rules(
        &state,
        &tree_path,
        "parent_assigned_acls",
        input.parent_assigned_acls.value().map(Vec::as_slice).unwrap_or(&[]),
        &mut p,
    )
    .await?;
    p.finish()?;

    let defaults = &state.config.partner_defaults;
    let verify = state.config.email_verification == EmailVerification::Required;
    let emails = [
        (EmailKind::Owner, nonempty(&input.owner_email)),
        (EmailKind::Tech, nonempty(&input.tech_email)),
        (EmailKind::Billing, nonempty(&input.billing_email)),
    ];
    let pending = |k: EmailKind| emails.iter().find(|e| e.0 == k).and_then(|e| e.1.clone());
    let any_email = emails.iter().any(|e| e.1.is_some());
    let prepay = payment_type == "prepay";
    let mut row = PartnerRow {
        id: 0,
        partner_sid: sid,
        parent_sid: Some(parent.partner_sid),
        tree_path,
        display_id: String::new(),
        login: input.login.value().cloned().unwrap_or_default(),
        name: input.name.value().cloned(),
        company_name: input.company_name.value().cloned(),
        address1: input.address1.value().cloned(),
        address2: input.address2.value().cloned(),
        city: input.city.value().cloned(),
        state: input.state.value().cloned(),
        zip: input.zip.value().cloned(),
        country_code,
        phonenumber: input.phonenumber.value().cloned(),
        owner_email: if verify { None } else { pending(EmailKind::Owner) },
        owner_email_pending: if verify { pending(EmailKind::Owner) } else { None },
        tech_email: if verify { None } else { pending(EmailKind::Tech) },
        tech_email_pending: if verify { pending(EmailKind::Tech) } else { None },
        billing_email: if verify { None } else { pending(EmailKind::Billing) },
        billing_email_pending: if verify { pending(EmailKind::Billing) } else { None },
        compliance_email: nonempty(&input.compliance_email),
        attributes: json_or(input.attributes.value(), json!({}))?,
        callbacks: json_or(input.callbacks.value(), json!({}))?,
        acls: json_or(input.acls.value(), json!([]))?,
        parent_assigned_acls: json_or(input.parent_assigned_acls.value(), json!([]))?,
        transformations,
        system_attributes: if caller.admin { json_or(input.system_attributes.value(), json!({}))? } else { json!({}) },
        available_scopes: scopes.unwrap_or_else(|| parent.available_scopes.without_admin()),
        balance: defaults.balance,
        charge_at: if prepay { input.charge_at.value().map(|m| m.0) } else { None },
        prepay_amount: if prepay { input.prepay_amount.value().map(|m| m.0) } else { None },
        spending_limit: input.spending_limit.value().map(|m| m.0).unwrap_or(defaults.spending_limit),
        daily_spending_limit: Some(
            input.daily_spending_limit.value().map(|m| m.0).unwrap_or(defaults.daily_spending_limit),
        ),
        daily_spent_amount: Decimal::ZERO,
        payment_type,
        status: status.unwrap_or_else(|| if verify && any_email { "unverified".into() } else { "active".into() }),
        date_created: chrono::Utc::now(),
    };
    let password = input.password.value().cloned().unwrap_or_default();
    let hash = secrets::hash_password_async(password).await;

    let mut tx = state.pool.begin().await?;
    repo::insert(&mut tx, &mut row, &hash).await?;
    endpoints::repo::create_system_gateway(&mut tx, row.partner_sid, &state.config.system_gateway_addresses).await?;
    if verify {
        for (kind, email) in &emails {
            if let Some(e) = email {
                repo::request_verification(&mut tx, &row, *kind, e, &api).await?;
            }
        }
    }
    tx.commit().await?;
    Ok(Json(row.to_wire(caller.admin)).into_response())
}

pub async fn update_partner(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw_sid): PathParams<String>,
    ApiBase(api): ApiBase,
    update: Update<PartnerInput>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw_sid, "partner")?;
    let mut tx = state.pool.begin().await?;
    let mut row = match repo::get_for_update(&mut tx, sid).await? {
        Some(r) if caller.sees(&r.tree_path) => r,
        _ => return Err(ApiError::not_found("partner")),
    };
    let mut updatable: Vec<&str> = UPDATABLE.to_vec();
    if caller.admin {
        updatable.extend_from_slice(ADMIN_UPDATABLE);
    }
    let current = patch::wire_map(&row.to_wire(true))?;
    let merged = patch::apply(&current, &update.body, &updatable, update.mode);
    let mut p = update.problems.clone();
    let input: PartnerInput = parse_into(&merged, &mut p)?;
    validate_common(&state.own, &input, &mut p);
    let transformations = check_transformations(&input.transformations, &mut p);
    if let Maybe::Value(pw) = &update.sent.password {
        validate_password(pw, "password", &mut p);
    }
    let is_self = row.partner_sid == caller.partner_sid();
    if !caller.admin {
        if is_self && merged.get("parent_assigned_acls") != current.get("parent_assigned_acls") {
            p.add("parent_assigned_acls", "only the parent partner can set parent_assigned_acls");
        }
        if !is_self && merged.get("acls") != current.get("acls") {
            p.add("acls", "only the partner itself can set acls");
        }
    }
    check_acl_rules(&state, &row.tree_path, "acls", input.acls.value().map(Vec::as_slice).unwrap_or(&[]), &mut p)
        .await?;
    check_acl_rules(
        &state,
        &row.tree_path,
        "parent_assigned_acls",
        input.parent_assigned_acls.value().map(Vec::as_slice).unwrap_or(&[]),
        &mut p,
    )
    .await?;
    let country = if caller.admin { validate_country(&state, &input.country_code, &mut p).await? } else { None };
    let scopes = if caller.admin { admin_scopes(&input.available_scopes, &mut p) } else { None };
    if caller.admin {
        if let Some(s) = input.status.value() {
            p.check(
                STATUSES.contains(&s.as_str()),
                "status",
                "must be one of active, canceled, suspended, unconfirmed, unverified",
            );
        }
    }
    // A partner never locks itself out: its own scopes and status are its parent's to change.
    if caller.admin && is_self {
        if scopes.as_ref().is_some_and(|s| *s != row.available_scopes) {
            p.add("available_scopes", "a partner cannot change its own available_scopes");
        }
        if input.status.value().is_some_and(|s| *s != row.status) {
            p.add("status", "a partner cannot change its own status");
        }
    }
    p.finish()?;

    row.name = input.name.into_option();
    row.company_name = input.company_name.into_option();
    row.address1 = input.address1.into_option();
    row.address2 = input.address2.into_option();
    row.city = input.city.into_option();
    row.zip = input.zip.into_option();
    row.phonenumber = input.phonenumber.into_option();
    row.compliance_email = nonempty(&input.compliance_email);
    row.attributes = json_or(input.attributes.value(), json!({}))?;
    row.callbacks = json_or(input.callbacks.value(), json!({}))?;
    row.acls = json_or(input.acls.value(), json!([]))?;
    row.parent_assigned_acls = json_or(input.parent_assigned_acls.value(), json!([]))?;
    row.transformations = transformations;
    if caller.admin {
        row.state = input.state.into_option();
        row.country_code = country;
        if let Some(s) = scopes {
            row.available_scopes = s;
        }
        if let Some(s) = input.status.value() {
            row.status = s.clone();
        }
        row.system_attributes = json_or(input.system_attributes.value(), json!({}))?;
        row.charge_at = input.charge_at.value().map(|m| m.0);
        row.prepay_amount = input.prepay_amount.value().map(|m| m.0);
        if let Some(m) = input.spending_limit.value() {
            row.spending_limit = m.0;
        }
        row.daily_spending_limit = input.daily_spending_limit.value().map(|m| m.0);
    }
    // E-mail changes wait for verification when it is required.
    let verify = state.config.email_verification == EmailVerification::Required;
    let mut to_verify = Vec::new();
    for (kind, new) in [
        (EmailKind::Owner, nonempty(&input.owner_email)),
        (EmailKind::Tech, nonempty(&input.tech_email)),
        (EmailKind::Billing, nonempty(&input.billing_email)),
    ] {
        let (verified, pending) = match kind {
            EmailKind::Owner => (&mut row.owner_email, &mut row.owner_email_pending),
            EmailKind::Tech => (&mut row.tech_email, &mut row.tech_email_pending),
            EmailKind::Billing => (&mut row.billing_email, &mut row.billing_email_pending),
        };
        if new == *verified {
            continue;
        }
        match new {
            None => {
                *verified = None;
                *pending = None;
            }
            Some(e) if verify => {
                if pending.as_deref() != Some(e.as_str()) {
                    *pending = Some(e.clone());
                    to_verify.push((kind, e));
                }
            }
            Some(e) => {
                *verified = Some(e);
                *pending = None;
            }
        }
    }
    repo::save(&mut tx, &row).await?;
    if let Maybe::Value(pw) = update.sent.password {
        let hash = secrets::hash_password_async(pw).await;
        repo::set_password(&mut tx, row.partner_sid, &hash).await?;
    }
    for (kind, email) in &to_verify {
        repo::request_verification(&mut tx, &row, *kind, email, &api).await?;
    }
    tx.commit().await?;
    // This instance at once; the others through the database's notification.
    ops::changed(&state, row.partner_sid);
    Ok(Json(row.to_wire(caller.admin)).into_response())
}

pub async fn delete_partner(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw_sid): PathParams<String>,
) -> ApiResult<Response> {
    let sid = parse_sid(&raw_sid, "partner")?;
    let mut tx = state.pool.begin().await?;
    // Its batch tasks first (the lock order of the batch worker: task, numbers, partner).
    crate::resources::batch::repo::cancel_for_partner(&mut tx, sid).await?;
    let row = match repo::get_for_update(&mut tx, sid).await? {
        Some(r) if caller.sees(&r.tree_path) => r,
        _ => return Err(ApiError::not_found("partner")),
    };
    if row.partner_sid == caller.partner_sid() || row.parent_sid.is_none() {
        return Err(ApiError::invalid("partner_sid", "a partner cannot delete itself or the root partner"));
    }
    if repo::count_children(&mut *tx, sid).await? > 0 {
        return Err(ApiError::conflict("partner_sid", "the partner has sub-partners: delete them first"));
    }
    crate::resources::dids::repo::release(&mut *tx, None, Some(sid), state.config.did_aging_seconds).await?;
    repo::delete(&mut tx, sid).await?;
    tx.commit().await?;
    ops::changed(&state, sid);
    Ok(respond::no_content())
}

pub async fn verify_email(State(state): State<AppState>, PathParams(token): PathParams<String>) -> ApiResult<Response> {
    if token.len() != 64 || !token.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ApiError::not_found("verification"));
    }
    let mut tx = state.pool.begin().await?;
    let found = repo::verify_email(&mut tx, &token).await?;
    tx.commit().await?;
    if let Some((sid, _, _)) = &found {
        ops::changed(&state, *sid);
    }
    match found {
        Some((partner_sid, field, email)) => {
            Ok(Json(super::types::EmailVerified { message: "e-mail address verified", partner_sid, field, email })
                .into_response())
        }
        None => Err(ApiError::not_found("verification")),
    }
}
