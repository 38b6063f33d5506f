//! Calls on the simulated network (`POST /admin/simulator/calls`).
//!
//! Inbound, a call to a rented DID (else the longest routing prefix) walks: the number → the
//! partners of its owner's tree (their ACL layers, top-most first; the owner's transformations)
//! → the number's trunk group (its ACLs and transformations) → a trunk chosen by the group's
//! `routing_type` among those that can take it (an endpoint, room in the trunk's `in_capacity` and
//! the endpoint's `capacity`) → the trunk's ACLs and transformations → the endpoint's
//! transformations. Outbound, a call leaves a trunk group the other way: the trunk's endpoint →
//! the trunk → the group → the partners → the calling number (when it is one of the partner's).
//! The first rejection ends the call (`domain::call_path`). A connected call holds its trunk and
//! endpoint for `duration` seconds, and writes its call detail record at once (dated as it will
//! end), rated by the partner's plan and charged through the money module: an outbound call is
//! the partner's spending (refused with 402 past its limits), an inbound one is billed like a
//! received message. A call that reaches a conference endpoint writes a conference call record
//! too, and calls back the partner's `callbacks.app_conference_call`.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use super::ops::{Billing, Rater};
use super::repo::{self, ActiveCall, CdrRow};
use super::types::{CallTrace, SimulatedCallInput};
use crate::domain::access_control::{Acl as RuleAcl, Kind, Rule};
use crate::domain::call_path::{self, Hop, Rejection, Step};
use crate::domain::money::Money;
use crate::domain::phone::{self, e164_digits};
use crate::domain::routing::{self, Slot};
use crate::domain::transformations::{Call, NoServices, Transformation};
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::input::Problems;
use crate::resources::access_control::{self, types::Acl};
use crate::resources::callbacks::ops::{self as callbacks, Report};
use crate::resources::conference::repo::{self as conference, ConferenceRow};
use crate::resources::endpoints::repo::{self as endpoints, EndpointRow};
use crate::resources::invoices::accrual;
use crate::resources::trunk_groups::repo::{self as trunk_groups, GroupRow, TrunkRow};
use crate::resources::{dids, partners, prefixes};
use crate::state::AppState;
use crate::traffic::{self, Event};

/// The longest call the simulator takes: a day.
const MAX_DURATION: i64 = 86_400;
const DEFAULT_DURATION: i64 = 60;
/// Endpoint types whose calls are conference calls.
const CONFERENCE_TYPES: &[&str] = &["conference", "conference_v2"];

fn transformations_of(v: &Value) -> Vec<Transformation> {
    serde_json::from_value(v.clone()).unwrap_or_default()
}

/// Where an inbound call's number led.
struct Target {
    object: &'static str,
    sid: Uuid,
    partner_sid: Uuid,
    tree_path: String,
    trunk_group_sid: Option<Uuid>,
    transformations: Vec<Transformation>,
}

/// A call being walked, and what becomes its trace.
struct Walk {
    call_sid: Uuid,
    direction: String,
    from: String,
    to: String,
    duration: Decimal,
    start: DateTime<Utc>,
    call: Call,
    steps: Vec<Step>,
    partner_sid: Option<Uuid>,
    did_sid: Option<Uuid>,
    prefix_sid: Option<Uuid>,
    trunk_group_sid: Option<Uuid>,
    trunk_sid: Option<Uuid>,
    endpoint_sid: Option<Uuid>,
}

impl Walk {
    fn end(self, status: &str, sip_code: u16, reason: Option<String>, record: Option<&CdrRow>) -> CallTrace {
        CallTrace {
            call_sid: self.call_sid,
            status: status.into(),
            sip_code,
            direction: self.direction,
            from: self.from,
            to: self.to,
            from_transformed: self.call.from,
            to_transformed: self.call.to,
            duration: Money(if status == "completed" { self.duration } else { Decimal::ZERO }),
            partner_sid: self.partner_sid,
            did_sid: self.did_sid,
            prefix_sid: self.prefix_sid,
            trunk_group_sid: self.trunk_group_sid,
            trunk_sid: self.trunk_sid,
            endpoint_sid: self.endpoint_sid,
            dr_sid: record.map(|r| r.dr_sid),
            conference_call_sid: None,
            rate: record.and_then(|r| r.rate).map(Money),
            price: record.and_then(|r| r.price).map(Money),
            date_start: self.start.into(),
            date_stop: record.map(|r| r.date_stop.into()),
            reason,
            steps: self.steps,
        }
    }

    fn rejected(self, r: Rejection) -> CallTrace {
        self.end("rejected", r.sip_code, Some(r.reason), None)
    }

    fn failed(mut self, sip_code: u16, object: &str, sid: Option<Uuid>, reason: String) -> CallTrace {
        self.steps.push(Step::new("route", object, sid, "failed", reason.clone()));
        self.end("failed", sip_code, Some(reason), None)
    }
}

/// The checked body of a simulated call.
struct Offer {
    direction: String,
    from: String,
    to: String,
    duration: Decimal,
    trunk_group_sid: Option<Uuid>,
    headers: Vec<(String, String)>,
}

fn read(input: SimulatedCallInput, mut p: Problems) -> ApiResult<Offer> {
    let direction = input.direction.value().cloned().unwrap_or_else(|| "inbound".into());
    if input.direction.value().is_some() {
        p.check(direction == "inbound" || direction == "outbound", "direction", "must be inbound or outbound");
    }
    let mut number = |field: &str, v: Option<&String>| match v {
        None => {
            p.add(field, "this field is required");
            None
        }
        Some(raw) => {
            let n = e164_digits(raw);
            if n.is_none() {
                p.add(field, "must be a phone number in E.164 format (digits only)");
            }
            n
        }
    };
    let from = number("from", input.from.value());
    let to = number("to", input.to.value());
    let duration = input.duration.value().map(|m| m.0).unwrap_or(Decimal::from(DEFAULT_DURATION));
    if duration < Decimal::ZERO {
        p.add("duration", "must not be negative");
    } else if duration > Decimal::from(MAX_DURATION) {
        p.add("duration", format!("must be at most {MAX_DURATION} seconds"));
    }
    let trunk_group_sid = match input.trunk_group_sid.value() {
        Some(s) => Uuid::parse_str(s).map_err(|_| p.add("trunk_group_sid", "must be a secure ID")).ok(),
        None => {
            if direction == "outbound" {
                p.add("trunk_group_sid", "an outbound call needs the trunk group it leaves from");
            }
            None
        }
    };
    let mut headers = Vec::new();
    for (name, v) in input.headers.value().into_iter().flatten() {
        match v {
            Value::String(s) => headers.push((name.clone(), s.clone())),
            _ => p.add(format!("headers.{name}"), "must be a string"),
        }
    }
    p.finish()?;
    let (Some(from), Some(to)) = (from, to) else { return Err(ApiError::internal("checked above")) };
    let duration = duration.round_dp(3).normalize();
    Ok(Offer { direction, from, to, duration, trunk_group_sid, headers })
}

/// `POST /admin/simulator/calls`: offers a call to the network and answers its trace.
pub async fn offer(state: &AppState, input: SimulatedCallInput, p: Problems) -> ApiResult<CallTrace> {
    let o = read(input, p)?;
    let start = Utc::now().trunc_subsecs(3);
    let walk = Walk {
        call_sid: Uuid::new_v4(),
        direction: o.direction.clone(),
        from: o.from.clone(),
        to: o.to.clone(),
        duration: o.duration,
        start,
        call: Call {
            from: o.from.clone(),
            to: o.to.clone(),
            direction: o.direction.clone(),
            headers: o.headers.clone(),
            ..Default::default()
        },
        steps: Vec::new(),
        partner_sid: None,
        did_sid: None,
        prefix_sid: None,
        trunk_group_sid: None,
        trunk_sid: None,
        endpoint_sid: None,
    };
    let trace = if o.direction == "outbound" {
        outbound(state, walk, o.trunk_group_sid).await?
    } else {
        inbound(state, walk).await?
    };
    announce(state, &trace).await;
    Ok(trace)
}

/// The console's view of a call: its trace, and what it charged.
async fn announce(state: &AppState, t: &CallTrace) {
    let Some(partner) = t.partner_sid else { return };
    let Ok(Some(path)) = partners::ops::tree_path(state, partner).await else { return };
    let mut title = format!("Call {} {} → {}: {} ({})", t.direction, t.from, t.to, t.status, t.sip_code);
    if let Some(why) = &t.reason {
        title.push_str(&format!(": {why}"));
    }
    let mut call = Event::new("call", partner, &path, title)
        .status(&t.status)
        .numbers(&[&t.from, &t.to, &t.from_transformed, &t.to_transformed])
        .detail(serde_json::to_value(t).unwrap_or_default());
    if let Some(dr) = t.dr_sid {
        call = call.object(dr, format!("/core/v2/calls/call_drs/{dr}"));
    }
    let mut events = vec![call];
    if let (Some(price), Some(dr)) = (t.price.as_ref().filter(|p| !p.0.is_zero()), t.dr_sid) {
        events.push(
            Event::new(
                "charge",
                partner,
                &path,
                format!("{} {} call {} → {}", price.0.normalize(), t.direction, t.from, t.to),
            )
            .object(dr, format!("/core/v2/calls/call_drs/{dr}"))
            .numbers(&[&t.from, &t.to])
            .detail(serde_json::json!({"amount": price, "type": "call", "direction": t.direction})),
        );
    }
    traffic::publish(state, events);
}

/// The number dialed: a rented DID, else the routing prefix that starts it longest.
async fn target(state: &AppState, to: &str) -> ApiResult<Option<Target>> {
    let rented = dids::repo::rented_by_number(&state.pool, &[to.to_owned()]).await?;
    if let Some(d) = rented.into_iter().next() {
        return Ok(Some(Target {
            object: "did",
            sid: d.did_sid,
            partner_sid: d.partner_sid,
            tree_path: d.tree_path,
            trunk_group_sid: d.trunk_group_sid,
            transformations: transformations_of(&d.transformations),
        }));
    }
    Ok(prefixes::repo::longest_match(&state.pool, to).await?.map(|x| Target {
        object: "prefix",
        sid: x.prefix_sid,
        partner_sid: x.partner_sid,
        tree_path: x.tree_path,
        trunk_group_sid: x.trunk_group_sid,
        transformations: transformations_of(&x.transformations),
    }))
}

/// The partners of a tree path, top-most first: each one's sid, ACL layer, and transformations
/// (the account's own only: ancestors' transformations are theirs).
struct PartnerHops {
    sids: Vec<Uuid>,
    layers: Vec<(u32, Vec<Acl>)>,
    own_transformations: Vec<Transformation>,
}

async fn partner_hops(state: &AppState, tree_path: &str) -> ApiResult<PartnerHops> {
    let sids: Vec<Uuid> = tree_path.split('/').filter_map(|s| Uuid::parse_str(s).ok()).collect();
    let layers = access_control::ops::partner_layers(state, tree_path).await?;
    let own = match sids.last() {
        Some(sid) => partners::ops::find(state, *sid).await?,
        None => None,
    };
    let own_transformations = own.map(|p| transformations_of(&p.row.transformations)).unwrap_or_default();
    Ok(PartnerHops { sids, layers, own_transformations })
}

impl PartnerHops {
    fn hops<'a>(&'a self, rules_layers: &HashMap<u32, Vec<RuleAcl>>) -> Vec<Hop<'a>> {
        let last = self.sids.len().saturating_sub(1);
        self.sids
            .iter()
            .zip(&self.layers)
            .enumerate()
            .map(|(i, (sid, (n, _)))| Hop {
                object: "partner",
                sid: *sid,
                layers: vec![(*n, rules_layers.get(n).cloned().unwrap_or_default())],
                transformations: if i == last { &self.own_transformations } else { &[] },
            })
            .collect()
    }
}

/// Everything a call may meet on its group: the group, its trunks and their endpoints, and the
/// ACL layers of the partners, the group and each trunk with the rules they name (one query).
struct Network {
    group: GroupRow,
    trunks: Vec<TrunkRow>,
    endpoints: HashMap<Uuid, EndpointRow>,
    layers: HashMap<u32, Vec<RuleAcl>>,
    trunk_layers: HashMap<Uuid, Vec<RuleAcl>>,
    rules: HashMap<Uuid, Rule>,
    group_layer: u32,
    /// A round-robin group's turn for this call.
    turn: u64,
}

async fn network(state: &AppState, group: GroupRow, partner_layers: &[(u32, Vec<Acl>)]) -> ApiResult<Network> {
    let trunks = trunk_groups::trunks_of(&state.pool, &[group.trunk_group_sid]).await?;
    let endpoint_sids: Vec<Uuid> = trunks.iter().filter_map(|t| t.endpoint_sid).collect();
    let endpoints: HashMap<Uuid, EndpointRow> = if endpoint_sids.is_empty() {
        HashMap::new()
    } else {
        endpoints::get_many(&state.pool, &endpoint_sids).await?.into_iter().map(|e| (e.endpoint_sid, e)).collect()
    };
    let group_layer = partner_layers.len() as u32 + 1;
    let mut all: Vec<(u32, Vec<Acl>)> = partner_layers.to_vec();
    all.push((group_layer, access_control::ops::acls_of(&group.acls)));
    let trunk_acls: Vec<(u32, Vec<Acl>)> =
        trunks.iter().map(|t| (group_layer + 1, access_control::ops::acls_of(&t.acls))).collect();
    let domain = access_control::ops::domain_layers(&all, Kind::Voice);
    let trunk_domain = access_control::ops::domain_layers(&trunk_acls, Kind::Voice);
    let mut every = domain.clone();
    every.extend(trunk_domain.iter().cloned());
    let rules = access_control::ops::rules_of(state, &every).await?;
    let turn = if group.routing_type == "round_robin" && trunks.len() > 1 {
        repo::next_turn(&state.pool, group.trunk_group_sid).await? as u64
    } else {
        0
    };
    Ok(Network {
        turn,
        layers: domain.into_iter().collect(),
        trunk_layers: trunks.iter().map(|t| t.trunk_sid).zip(trunk_domain.into_iter().map(|(_, a)| a)).collect(),
        group,
        trunks,
        endpoints,
        rules,
        group_layer,
    })
}

/// A trunk that takes the call, with its endpoint.
struct Route {
    trunk: usize,
    endpoint: Uuid,
}

/// Tries the group's trunks in its routing order: the first with an endpoint and room (in the
/// trunk for the direction, in the endpoint) takes the call. Counted under locks on the limited
/// trunks and endpoints, in the caller's transaction: concurrent calls never overrun a capacity.
async fn choose(
    tx: &mut sqlx::PgConnection,
    net: &Network,
    walk: &mut Walk,
) -> ApiResult<Result<Route, (u16, String)>> {
    let g = &net.group;
    let inbound = walk.direction == "inbound";
    let capacity = |t: &TrunkRow| if inbound { t.in_capacity } else { t.out_capacity };
    let turn = net.turn;
    let slots: Vec<Slot> = net.trunks.iter().map(|t| Slot { priority: t.priority, weight: t.weight }).collect();
    let mut random = || {
        let b = crate::domain::secrets::random_bytes(4);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64 / (u32::MAX as f64 + 1.0)
    };
    let order = routing::order(&g.routing_type, &slots, turn, &mut random);
    let limited_trunks: Vec<Uuid> = net.trunks.iter().filter(|t| capacity(t) > 0).map(|t| t.trunk_sid).collect();
    let limited_endpoints: Vec<Uuid> =
        net.endpoints.values().filter(|e| e.capacity > 0).map(|e| e.endpoint_sid).collect();
    let (mut by_trunk, mut by_endpoint) = (HashMap::new(), HashMap::new());
    if !limited_trunks.is_empty() || !limited_endpoints.is_empty() {
        repo::lock_capacity(&mut *tx, &limited_trunks, &limited_endpoints).await?;
        let (t, e) = repo::in_progress(&mut *tx, &walk.direction, &limited_trunks, &limited_endpoints).await?;
        by_trunk = t.into_iter().collect();
        by_endpoint = e.into_iter().collect();
    }
    let cap_name = if inbound { "in_capacity" } else { "out_capacity" };
    for i in order {
        let t = &net.trunks[i];
        let skip = |walk: &mut Walk, why: String| {
            walk.steps.push(Step::new("route", "trunk", Some(t.trunk_sid), "skipped", why));
        };
        let Some(e) = t.endpoint_sid.and_then(|sid| net.endpoints.get(&sid)) else {
            skip(walk, format!("trunk '{}' has no endpoint to take the call", t.name));
            continue;
        };
        let used = by_trunk.get(&t.trunk_sid).copied().unwrap_or(0);
        if !routing::has_room(capacity(t), used) {
            skip(walk, format!("trunk '{}' is full: {cap_name} {} with {used} calls in progress", t.name, capacity(t)));
            continue;
        }
        let used = by_endpoint.get(&e.endpoint_sid).copied().unwrap_or(0);
        if !routing::has_room(e.capacity, used) {
            skip(
                walk,
                format!(
                    "endpoint '{}' of trunk '{}' is full: capacity {} with {used} calls in progress",
                    e.name, t.name, e.capacity
                ),
            );
            continue;
        }
        let why = match g.routing_type.as_str() {
            "round_robin" => format!("trunk '{}': round_robin, turn {turn}", t.name),
            "weighted" => format!("trunk '{}': weighted, priority {} weight {}", t.name, t.priority, t.weight),
            _ => format!("trunk '{}': failover, priority {}", t.name, t.priority),
        };
        walk.steps.push(Step::new("route", "trunk", Some(t.trunk_sid), "chosen", why));
        return Ok(Ok(Route { trunk: i, endpoint: e.endpoint_sid }));
    }
    let none = if net.trunks.is_empty() {
        "the trunk group has no trunks".to_owned()
    } else {
        "no trunk of the group can take the call".to_owned()
    };
    Ok(Err(match g.hard_failure_last_resort.as_str() {
        "reject502" => (502, format!("{none}; hard_failure_last_resort reject502")),
        "reject503" => (503, format!("{none}; hard_failure_last_resort reject503")),
        _ if net.trunks.is_empty() => (503, none),
        _ => (503, format!("{none}; hard_failure_last_resort first: the first trunk was tried again and is busy")),
    }))
}

async fn inbound(state: &AppState, mut walk: Walk) -> ApiResult<CallTrace> {
    let to = walk.to.clone();
    let Some(target) = target(state, &to).await? else {
        return Err(ApiError::MissingItem(FieldError::new(
            "to",
            format!("cannot find a rented number or a routing prefix for {to}"),
        )));
    };
    walk.partner_sid = Some(target.partner_sid);
    match target.object {
        "did" => walk.did_sid = Some(target.sid),
        _ => walk.prefix_sid = Some(target.sid),
    }
    walk.steps.push(Step::new(
        "match",
        target.object,
        Some(target.sid),
        "matched",
        match target.object {
            "did" => format!("{to} is a rented number"),
            _ => format!("{to} starts with a routing prefix"),
        },
    ));
    let parties = partner_hops(state, &target.tree_path).await?;
    let Some(group_sid) = target.trunk_group_sid else {
        // Nothing to route to: the number's and the partners' decisions still apply first.
        let layers: HashMap<u32, Vec<RuleAcl>> =
            access_control::ops::domain_layers(&parties.layers, Kind::Voice).into_iter().collect();
        let flat: Vec<(u32, Vec<RuleAcl>)> = layers.clone().into_iter().collect();
        let rules = access_control::ops::rules_of(state, &flat).await?;
        let mut hops = vec![Hop {
            object: target.object,
            sid: target.sid,
            layers: vec![],
            transformations: &target.transformations,
        }];
        hops.extend(parties.hops(&layers));
        if let Some(r) = call_path::walk(&mut walk.call, &hops, &rules, &NoServices, &mut walk.steps) {
            return Ok(walk.rejected(r));
        }
        let (object, sid) = (target.object, Some(target.sid));
        return Ok(walk.failed(404, object, sid, format!("the {object} is not routed to a trunk group")));
    };
    let Some(group) = trunk_groups::get_group(&state.pool, group_sid, false).await? else {
        return Ok(walk.failed(404, "trunk_group", Some(group_sid), "the trunk group no longer exists".into()));
    };
    walk.trunk_group_sid = Some(group_sid);
    let net = network(state, group, &parties.layers).await?;
    let group_transformations = transformations_of(&net.group.transformations);
    let mut hops =
        vec![Hop { object: target.object, sid: target.sid, layers: vec![], transformations: &target.transformations }];
    hops.extend(parties.hops(&net.layers));
    hops.push(Hop {
        object: "trunk_group",
        sid: group_sid,
        layers: vec![(net.group_layer, net.layers.get(&net.group_layer).cloned().unwrap_or_default())],
        transformations: &group_transformations,
    });
    if let Some(r) = call_path::walk(&mut walk.call, &hops, &net.rules, &NoServices, &mut walk.steps) {
        return Ok(walk.rejected(r));
    }
    // Everything read outside the transaction is read before it: a call never waits for a second
    // connection while it holds one.
    let rater = Rater::for_one(state).await?;
    let mut tx = state.pool.begin().await?;
    let route = match choose(&mut tx, &net, &mut walk).await? {
        Ok(r) => r,
        Err((code, why)) => return Ok(walk.failed(code, "trunk_group", Some(group_sid), why)),
    };
    let trunk = &net.trunks[route.trunk];
    let endpoint = &net.endpoints[&route.endpoint];
    walk.trunk_sid = Some(trunk.trunk_sid);
    walk.endpoint_sid = Some(endpoint.endpoint_sid);
    let trunk_transformations = transformations_of(&trunk.transformations);
    let endpoint_transformations = transformations_of(&endpoint.transformations);
    let last = [
        Hop {
            object: "trunk",
            sid: trunk.trunk_sid,
            layers: vec![(net.group_layer + 1, net.trunk_layers.get(&trunk.trunk_sid).cloned().unwrap_or_default())],
            transformations: &trunk_transformations,
        },
        Hop {
            object: "endpoint",
            sid: endpoint.endpoint_sid,
            layers: vec![],
            transformations: &endpoint_transformations,
        },
    ];
    if let Some(r) = call_path::walk(&mut walk.call, &last, &net.rules, &NoServices, &mut walk.steps) {
        return Ok(walk.rejected(r));
    }
    let gateway = endpoints::system_gateway(&mut *tx, target.partner_sid).await?;
    let mut record = record_of(&walk, target.partner_sid);
    record.number_billing = Some(walk.to.clone());
    record.number_external = Some(walk.call.from.clone());
    record.endpoint_sid_src = gateway.map(|g| g.endpoint_sid);
    record.endpoint_sid_dst = Some(endpoint.endpoint_sid);
    record.trunk_group_sid_dst = Some(group_sid);
    record.trunk_sid_dst = Some(trunk.trunk_sid);
    complete(state, tx, rater, walk, record, trunk.trunk_sid, Some(endpoint)).await
}

async fn outbound(state: &AppState, mut walk: Walk, group_sid: Option<Uuid>) -> ApiResult<CallTrace> {
    let missing = || {
        ApiError::MissingItem(FieldError::new("trunk_group_sid", "cannot find the trunk group the call leaves from"))
    };
    let group_sid = group_sid.ok_or_else(missing)?;
    let group = trunk_groups::get_group(&state.pool, group_sid, false).await?.ok_or_else(missing)?;
    let partner = group.partner_sid;
    walk.partner_sid = Some(partner);
    walk.trunk_group_sid = Some(group_sid);
    let parties = partner_hops(state, &group.tree_path).await?;
    let net = network(state, group, &parties.layers).await?;
    // Everything read outside the transaction is read before it: a call never waits for a second
    // connection while it holds one.
    let rater = Rater::for_one(state).await?;
    let mut tx = state.pool.begin().await?;
    let route = match choose(&mut tx, &net, &mut walk).await? {
        Ok(r) => r,
        Err((code, why)) => return Ok(walk.failed(code, "trunk_group", Some(group_sid), why)),
    };
    let trunk = &net.trunks[route.trunk];
    let endpoint = &net.endpoints[&route.endpoint];
    walk.trunk_sid = Some(trunk.trunk_sid);
    walk.endpoint_sid = Some(endpoint.endpoint_sid);
    // The calling number, when it is one of the partner's: its outbound transformations last.
    let own_did = dids::repo::rented_by_number(&mut *tx, std::slice::from_ref(&walk.from))
        .await?
        .into_iter()
        .find(|d| d.partner_sid == partner);
    let endpoint_transformations = transformations_of(&endpoint.transformations);
    let trunk_transformations = transformations_of(&trunk.transformations);
    let group_transformations = transformations_of(&net.group.transformations);
    let did_transformations = own_did.as_ref().map(|d| transformations_of(&d.transformations)).unwrap_or_default();
    let mut hops = vec![
        Hop {
            object: "endpoint",
            sid: endpoint.endpoint_sid,
            layers: vec![],
            transformations: &endpoint_transformations,
        },
        Hop {
            object: "trunk",
            sid: trunk.trunk_sid,
            layers: vec![(net.group_layer + 1, net.trunk_layers.get(&trunk.trunk_sid).cloned().unwrap_or_default())],
            transformations: &trunk_transformations,
        },
        Hop {
            object: "trunk_group",
            sid: group_sid,
            layers: vec![(net.group_layer, net.layers.get(&net.group_layer).cloned().unwrap_or_default())],
            transformations: &group_transformations,
        },
    ];
    hops.extend(parties.hops(&net.layers));
    if let Some(d) = &own_did {
        walk.did_sid = Some(d.did_sid);
        hops.push(Hop { object: "did", sid: d.did_sid, layers: vec![], transformations: &did_transformations });
    }
    if let Some(r) = call_path::walk(&mut walk.call, &hops, &net.rules, &NoServices, &mut walk.steps) {
        return Ok(walk.rejected(r));
    }
    let gateway = endpoints::system_gateway(&mut *tx, partner).await?;
    let mut record = record_of(&walk, partner);
    record.number_billing = Some(walk.from.clone());
    record.number_external = Some(walk.call.to.clone());
    record.endpoint_sid_src = Some(endpoint.endpoint_sid);
    record.endpoint_sid_dst = gateway.map(|g| g.endpoint_sid);
    record.trunk_group_sid_src = Some(group_sid);
    record.trunk_sid_src = Some(trunk.trunk_sid);
    complete(state, tx, rater, walk, record, trunk.trunk_sid, Some(endpoint)).await
}

/// The record of a connected call: dated from now to its end, numbers before and after the
/// transformations (`*_original`/`*_transformed` only where they differ).
fn record_of(walk: &Walk, partner: Uuid) -> CdrRow {
    let changed = |a: &str, b: &str| (a != b).then(|| a.to_owned());
    let stop = walk.start
        + chrono::Duration::milliseconds((walk.duration * Decimal::from(1000)).trunc().try_into().unwrap_or(0));
    let vars = &walk.call.vars;
    let user_data = (!walk.call.user_data.is_empty()).then(|| {
        Value::Object(walk.call.user_data.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect())
    });
    CdrRow {
        dr_sid: Uuid::new_v4(),
        partner_sid: partner,
        date_stop: stop,
        date_start: Some(walk.start),
        date_talk: Some(walk.start),
        date_insert: walk.start,
        direction: Some(walk.direction.clone()),
        kind: Some("telecom".into()),
        version: Some(2),
        disconnect_originator: Some("SRC".into()),
        duration: Some(walk.duration),
        number_src: Some(walk.call.from.clone()),
        number_dst: Some(walk.call.to.clone()),
        number_src_original: changed(&walk.from, &walk.call.from),
        number_dst_original: changed(&walk.to, &walk.call.to),
        number_src_transformed: changed(&walk.call.from, &walk.from),
        number_dst_transformed: changed(&walk.call.to, &walk.to),
        sipcallid_src: Some(format!("{}-src@carrierx-core.simulator", walk.call_sid.simple())),
        sipcallid_dst: Some(format!("{}-dst@carrierx-core.simulator", walk.call_sid.simple())),
        sipcause: Some("200".into()),
        stir_attest: vars.get("stir_attest").cloned(),
        stir_orig_id: vars.get("stir_orig_id").cloned(),
        stir_verstat: vars.get("stir_verstat").cloned(),
        user_data,
        ..Default::default()
    }
}

/// A connected call: its record rated and written, its charge made, its trunk and endpoint held
/// until it ends, a conference endpoint's record and callback, all in one transaction.
async fn complete(
    state: &AppState,
    mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
    mut rater: Rater,
    mut walk: Walk,
    mut record: CdrRow,
    trunk_sid: Uuid,
    endpoint: Option<&EndpointRow>,
) -> ApiResult<CallTrace> {
    let partner = record.partner_sid;
    let outbound = walk.direction == "outbound";
    // Rated as the call left the last object: the transformed numbers.
    let billing = Billing {
        direction: Some(walk.direction.clone()),
        kind: Some("pstn"),
        external: phone::digits(if outbound { &walk.call.to } else { &walk.call.from }),
        dialed: phone::digits(&walk.call.to),
    };
    let charge = rater.rate(&mut tx, &mut record, &billing).await?;
    repo::insert_batch(&mut tx, std::slice::from_ref(&record)).await?;
    repo::insert_active(
        &mut tx,
        &ActiveCall {
            call_sid: walk.call_sid,
            partner_sid: partner,
            direction: walk.direction.clone(),
            trunk_sid,
            endpoint_sid: endpoint.map(|e| e.endpoint_sid),
            ends_at: record.date_stop,
        },
    )
    .await?;
    let charges: Vec<accrual::Charge> = charge.into_iter().collect();
    if outbound {
        if let Some(Err(refused)) = accrual::spend_each(&mut tx, partner, &[&charges]).await?.pop() {
            return Err(refused);
        }
    } else {
        accrual::defer(&mut tx, partner, &charges).await?;
    }
    let mut conference_sid = None;
    let mut queued = None;
    if let Some(e) = endpoint.filter(|e| CONFERENCE_TYPES.contains(&e.kind.as_str())) {
        let row = ConferenceRow {
            call_sid: walk.call_sid,
            partner_sid: partner,
            date_stop: record.date_stop,
            date_start: record.date_start,
            date_join: record.date_talk,
            date_disconnected: Some(record.date_stop),
            date_insert: record.date_insert,
            address_dst: Some(format!("<sip:{}@carrierx-core.simulator>", walk.call.to)),
            address_src: Some(format!("<sip:{}@carrierx-core.simulator>", walk.call.from)),
            bridge: Some("conference-bridge".into()),
            custom_call_type: Some("foreign".into()),
            direction: Some(walk.direction.clone()),
            disconnect_cause: Some(16),
            disconnect_originator: Some("src".into()),
            disconnect_reason: Some("Normal".into()),
            duration: Some(walk.duration),
            duration_meeting: Some(walk.duration),
            endpoint_sid: Some(e.endpoint_sid),
            node: Some("127.0.0.1".into()),
            number_dst: Some(walk.call.to.clone()),
            number_src: Some(walk.call.from.clone()),
            role: Some("participant".into()),
            user_agent: Some("carrierx-core simulator".into()),
            ..Default::default()
        };
        conference::insert(&mut tx, std::slice::from_ref(&row)).await?;
        let body = serde_json::to_string(&row.to_wire()).map_err(ApiError::internal)?;
        let report = Report { partner_sid: partner, did_sid: walk.did_sid, object_sid: row.call_sid, body };
        queued = Some(callbacks::queue_partner(state, &mut tx, "app_conference_call", vec![report]).await?);
        conference_sid = Some(row.call_sid);
        walk.steps.push(Step::new(
            "record",
            "endpoint",
            Some(e.endpoint_sid),
            "conference",
            "a conference call record was written for the conference endpoint".into(),
        ));
    }
    tx.commit().await?;
    if let Some(q) = queued {
        q.launch(state);
    }
    if outbound && !charges.is_empty() {
        partners::ops::money_changed(state, partner);
    }
    let mut trace = walk.end("completed", 200, None, Some(&record));
    trace.conference_call_sid = conference_sid;
    Ok(trace)
}
