//! Messages on the simulated network (LOCAL.md, "The carrier network simulator").
//!
//! A message sent through the API leaves from a rented number of the sender's: the sender's
//! effective SMS ACLs (direction `outbound`) decide; refused, it is stored `rejected`, not charged,
//! and calls nobody back. Accepted, it is rated from the sender's plan (per segment and
//! recipient), charged within the sender's limits, stored `queued`, and the network moves it
//! `queued` → `sent` → `delivered` (or `failed`), one step each `sms_step_ms`. At delivery, a
//! recipient that is a number rented on this server receives it (its partner's inbound ACLs,
//! rating, charge, callback). Every change is stored, is the message detail record, and is
//! POSTed to the number's callback URL through the callback outbox.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, SubsecRound, Utc};
use regex::Regex;
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, MessageRow};
use super::types::{InboundSmsInput, SmsMessageInput, MAX_GROUP, MAX_MEDIA, MAX_MMS_TEXT, MAX_USER_DATA};
use crate::domain::access_control::{Event, Kind};
use crate::domain::phone;
use crate::domain::sms::{message_segments, MessageType};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::input::{Maybe, Problems};
use crate::resources::callbacks::ops::{self as callbacks, Report};
use crate::resources::dids::repo::RentedNumber;
use crate::resources::invoices::accrual::{self, Charge};
use crate::resources::{access_control, countries, dids, partners, rates};
use crate::state::AppState;
use crate::traffic;

/// The console's view of messages, once they are committed: each one's status, and what a new
/// message charged (`charged`).
pub(super) async fn announce(state: &AppState, rows: &[&MessageRow], charged: bool) {
    let mut events = Vec::new();
    let (mut room, mut skipped) = (traffic::room(state), 0);
    for row in rows {
        // A message's event, and its charge's: only counted once the second's room is used up.
        let n = 1 + usize::from(charged && row.price.is_some_and(|p| !p.is_zero()));
        if n > room {
            skipped += n;
            continue;
        }
        room -= n;
        let Ok(Some(path)) = partners::ops::tree_path(state, row.partner_sid).await else { continue };
        let kind = if row.kind == "mms" { "MMS" } else { "SMS" };
        let href = format!("/core/v2/sms/messages/{}", row.message_sid);
        let text: Option<String> = row.message.as_deref().map(|m| m.chars().take(160).collect());
        events.push(
            traffic::Event::new(
                "message",
                row.partner_sid,
                &path,
                format!("{kind} {} {} → {}: {}", row.direction, row.number_src, row.number_dst, row.status),
            )
            .object(row.message_sid, href.clone())
            .status(&row.status)
            .numbers(&[&row.number_src, &row.number_dst])
            .detail(serde_json::json!({
                "direction": row.direction, "type": row.kind, "message": text, "media_urls": row.media_urls.len(),
                "segments": row.message_segments, "price": row.price.map(crate::domain::money::Money),
                "vendor_error_code": row.vendor_error_code,
            })),
        );
        if let (true, Some(price)) = (charged, row.price.filter(|p| !p.is_zero())) {
            events.push(
                traffic::Event::new(
                    "charge",
                    row.partner_sid,
                    &path,
                    format!("{} {} {kind}: {}", price.normalize(), row.direction, row.number_billing.as_deref().unwrap_or("")),
                )
                .object(row.message_sid, href)
                .numbers(&[&row.number_src, &row.number_dst])
                .detail(serde_json::json!({"amount": crate::domain::money::Money(price), "type": row.kind, "direction": row.direction})),
            );
        }
    }
    traffic::dropped(state, skipped);
    traffic::publish(state, events);
}

/// The provider the simulated network names in its records.
pub const PROVIDER: &str = "carrierx-core";
/// The mobile network code the simulated network reports (a test network's).
pub const SIMULATED_MNC: i32 = 999;

/// Capability bits of a number (`capabilities`): receive SMS, send SMS, receive MMS, send MMS.
const RECEIVE_SMS: i32 = 1;
const SEND_SMS: i32 = 2;
const RECEIVE_MMS: i32 = 8;
const SEND_MMS: i32 = 16;

use crate::domain::phone::e164_digits as number;

/// One of two spellings of a number (`from`/`from_did`): which field was used, and its value.
fn either<'a>(
    new: (&'static str, &'a Maybe<String>),
    old: (&'static str, &'a Maybe<String>),
) -> (&'static str, Option<&'a String>) {
    match (new.1.value(), old.1.value()) {
        (Some(v), _) => (new.0, Some(v)),
        (None, Some(v)) => (old.0, Some(v)),
        (None, None) => (new.0, None),
    }
}

fn read_number(field: &str, v: Option<&String>, required: bool, p: &mut Problems) -> Option<String> {
    match v {
        None => {
            if required {
                p.add(field, "this field is required");
            }
            None
        }
        Some(raw) => {
            let n = number(raw);
            if n.is_none() {
                p.add(field, "must be a phone number in E.164 format (digits only)");
            }
            n
        }
    }
}

fn check_media(media: &[String], p: &mut Problems) {
    if media.len() > MAX_MEDIA {
        p.add("media_urls", format!("at most {MAX_MEDIA} media items"));
    }
    for (i, u) in media.iter().enumerate() {
        let ok = (u.starts_with("http://") || u.starts_with("https://")) && u.len() > "https://".len();
        if !ok {
            p.add(format!("media_urls[{i}]"), "must be an http(s) URL");
        }
    }
}

fn check_text(text: &str, p: &mut Problems) {
    if text.chars().count() > MAX_MMS_TEXT {
        p.add("message", format!("must be at most {MAX_MMS_TEXT} characters"));
    }
}

/// The numbers a message goes to: `to`, then the group's other numbers (the sender left out),
/// each once.
fn recipients(from: &str, to: Option<&str>, group: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    seen.insert(from.to_owned());
    to.into_iter().map(str::to_owned).chain(group.iter().cloned()).filter(|n| seen.insert(n.clone())).collect()
}

/// The numbers of this server among `numbers` that take messages: rented DIDs and short codes.
async fn messaging_numbers(db: &mut PgConnection, numbers: &[String]) -> ApiResult<Vec<RentedNumber>> {
    let mut found = dids::repo::rented_by_number(&mut *db, numbers).await?;
    let short: Vec<String> = numbers.iter().filter(|n| n.len() <= 8).cloned().collect();
    if !short.is_empty() {
        found.extend(crate::resources::short_codes::repo::as_numbers(&mut *db, &short).await?);
    }
    Ok(found)
}

/// The number of this server `number` that takes messages: a rented DID (through the object
/// cache) or a short code.
async fn messaging_number(state: &AppState, number: &str) -> ApiResult<Vec<RentedNumber>> {
    if number.len() > 8 {
        return Ok(dids::ops::rented(state, number).await?.into_iter().collect());
    }
    messaging_numbers(&mut *state.pool.acquire().await?, &[number.to_owned()]).await
}

/// What sending or receiving one message costs: the rate of its first party, the total, and the
/// charges (per recipient country).
struct Priced {
    rate: Option<Decimal>,
    price: Option<Decimal>,
    charges: Vec<Charge>,
}

/// Rates a message of `partner` through `own_number` (its class: toll-free or not) with each of
/// `others` (the other parties): per segment and per other party.
async fn price(
    state: &AppState,
    partner: Uuid,
    direction: &str,
    kind: MessageType,
    own_number: &str,
    others: &[String],
    segments: i32,
) -> ApiResult<Priced> {
    let (_, toll_free) = phone::billing_class(own_number);
    let class = if own_number.len() <= 8 {
        "short_code"
    } else if toll_free {
        "toll_free"
    } else {
        "toll"
    };
    let plan_kind = format!("{}:{}", kind.as_str(), class);
    let codes = countries::ops::codes(state).await?;
    let (mut rate, mut total, mut charges) = (None, None::<Decimal>, Vec::new());
    for other in others {
        let Some(item) = rates::ops::best_item(state, None, partner, direction, &plan_kind, other).await? else {
            continue;
        };
        let amount = (item.price * Decimal::from(segments)).normalize();
        rate.get_or_insert(item.price.normalize());
        total = Some(total.unwrap_or_default() + amount);
        let (region, _) = phone::billing_class(other);
        charges.push(Charge {
            kind: kind.as_str(),
            direction: Some(direction.to_owned()),
            country_code: region.as_deref().and_then(|r| codes.alpha3(r)).map(str::to_owned),
            usage: segments as i64,
            amount,
        });
    }
    Ok(Priced { rate, price: total.map(|t| t.normalize()), charges })
}

/// The mobile country code of a number's country.
fn mcc_of(codes: &countries::ops::Codes, number: &str) -> Option<i32> {
    let (region, _) = phone::billing_class(number);
    region.and_then(|r| codes.mcc(&r))
}

/// The effective SMS ACLs of the partner at `tree_path` on a message: whether they accept it.
async fn accepted(
    state: &AppState,
    tree_path: &str,
    direction: &str,
    from: &str,
    to: &str,
    text: &str,
) -> ApiResult<bool> {
    let layers = access_control::ops::partner_layers(state, tree_path).await?;
    let event = Event { direction: direction.into(), from: from.into(), to: to.into(), message: text.into() };
    let decision = access_control::ops::decide(state, &layers, Kind::Sms, &event).await?;
    Ok(decision.action == "accept")
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

fn step_after(state: &AppState, t: DateTime<Utc>) -> DateTime<Utc> {
    t + chrono::Duration::milliseconds(state.config.sms_step_ms as i64)
}

pub(super) fn report(row: &MessageRow) -> Report {
    Report {
        partner_sid: row.partner_sid,
        did_sid: row.did_sid,
        object_sid: row.message_sid,
        body: serde_json::to_string(&row.to_callback()).unwrap_or_default(),
    }
}

/// `POST /sms/messages`: checks, decides, rates, charges and stores a message in one
/// transaction; the network takes it from there.
pub async fn send(state: &AppState, caller: &Caller, input: SmsMessageInput, mut p: Problems) -> ApiResult<MessageRow> {
    let (from_field, from_raw) = either(("from", &input.from), ("from_did", &input.from_did));
    let (to_field, to_raw) = either(("to", &input.to), ("to_did", &input.to_did));
    let legacy = from_field == "from_did";
    let media: Vec<String> = input.media_urls.value().cloned().unwrap_or_default();
    let group_raw: Vec<String> = input.group_recipients.value().cloned().unwrap_or_default();
    let kind = MessageType::of(!media.is_empty(), !group_raw.is_empty());
    let from = read_number(from_field, from_raw, true, &mut p);
    // A group MMS may name its recipients in the group only.
    let to = read_number(to_field, to_raw, group_raw.is_empty(), &mut p);
    let mut group = Vec::new();
    for (i, g) in group_raw.iter().enumerate() {
        match number(g) {
            Some(n) => group.push(n),
            None => p.add(format!("group_recipients[{i}]"), "must be a phone number in E.164 format (digits only)"),
        }
    }
    let text = input.message.value().cloned().unwrap_or_default();
    match kind {
        MessageType::Sms if text.is_empty() => p.add("message", "this field is required"),
        MessageType::Mms if text.is_empty() && media.is_empty() => {
            p.add("message", "a message without media_urls needs a text")
        }
        _ => {}
    }
    check_text(&text, &mut p);
    check_media(&media, &mut p);
    if let Some(u) = input.user_data.value() {
        p.check(
            u.chars().count() <= MAX_USER_DATA,
            "user_data",
            &format!("must be at most {MAX_USER_DATA} characters"),
        );
    }
    let targets = from.as_deref().map(|f| recipients(f, to.as_deref(), &group)).unwrap_or_default();
    if !group.is_empty() && targets.len() + 1 > MAX_GROUP {
        p.add("group_recipients", format!("at most {MAX_GROUP} numbers, the sender's included"));
    }
    if from.is_some() && targets.is_empty() && p.is_empty() {
        p.add(to_field, "a message needs a recipient other than the sender");
    }
    p.finish()?;
    let (Some(from), Some(first)) = (from, targets.first().cloned()) else {
        return Err(ApiError::internal("checked above"));
    };
    // The sending number: rented by the caller (any partner's through the admin routes).
    let did = messaging_number(state, &from)
        .await?
        .into_iter()
        .find(|d| caller.admin || d.partner_sid == caller.partner_sid())
        .ok_or_else(|| {
            ApiError::MissingItem(FieldError::new(from_field, format!("cannot find a rented number {from}")))
        })?;
    let (need, what) = match kind {
        MessageType::Sms => (SEND_SMS, "SMS"),
        MessageType::Mms => (SEND_MMS, "MMS"),
    };
    if did.capabilities & need == 0 {
        return Err(ApiError::invalid(
            from_field,
            format!("the number cannot send {what} (its capabilities lack {need})"),
        ));
    }
    let partner = did.partner_sid;
    let segments = message_segments(kind, &text) as i32;
    let created = now();
    let ok = accepted(state, &did.tree_path, "outbound", &from, &first, &text).await?;
    let priced = if ok {
        price(state, partner, "outbound", kind, &from, &targets, segments).await?
    } else {
        Priced { rate: None, price: None, charges: Vec::new() }
    };
    let row = MessageRow {
        message_sid: Uuid::new_v4(),
        dr_sid: Uuid::new_v4(),
        partner_sid: partner,
        did_sid: Some(did.did_sid),
        direction: "outbound".into(),
        kind: kind.as_str().into(),
        status: if ok { "queued" } else { "rejected" }.into(),
        number_src: from.clone(),
        number_dst: to.clone().unwrap_or_else(|| first.clone()),
        number_billing: Some(from.clone()),
        number_external: Some(first.clone()),
        number_group_dst: if kind == MessageType::Mms && !group.is_empty() { targets.clone() } else { Vec::new() },
        group_recipients: group,
        media_urls: media,
        message: (!text.is_empty()).then_some(text),
        message_segments: segments,
        user_data: input.user_data.value().cloned(),
        rate: priced.rate,
        price: priced.price,
        mcc_mnc_rate: priced.rate,
        mcc_mnc_price: priced.price,
        provider: Some(PROVIDER.into()),
        legacy_names: legacy,
        date_created: created,
        date_changed: created,
        date_status_changed: (!ok).then_some(created),
        date_stop: created,
        next_step_at: ok.then(|| step_after(state, created)),
        ..Default::default()
    };
    super::writer::submit(state, row.clone(), priced.charges, ok).await?;
    Ok(row)
}

/// A message arriving on a rented number (from the outside network, or from another number of
/// this server): the receiving partner's inbound ACLs decide; accepted, it is stored `received`,
/// rated and charged to that partner (balance and invoice within a second); refused, stored
/// `rejected`. Runs in the caller's
/// transaction; answers the row and the callback to queue (none when refused).
#[allow(clippy::too_many_arguments)]
async fn receive(
    state: &AppState,
    tx: &mut PgConnection,
    did: &RentedNumber,
    from: &str,
    group: &[String],
    text: Option<&str>,
    media: &[String],
    kind: MessageType,
) -> ApiResult<(MessageRow, Option<Report>, Option<Uuid>)> {
    let partner = did.partner_sid;
    let body = text.unwrap_or_default();
    let segments = message_segments(kind, body) as i32;
    let need = if kind == MessageType::Mms { RECEIVE_MMS } else { RECEIVE_SMS };
    let ok = did.capabilities & need != 0
        && accepted(state, &did.tree_path, "inbound", from, &did.phonenumber, body).await?;
    let priced = if ok {
        price(state, partner, "inbound", kind, &did.phonenumber, &[from.to_owned()], segments).await?
    } else {
        Priced { rate: None, price: None, charges: Vec::new() }
    };
    let codes = countries::ops::codes(state).await?;
    let t = now();
    let row = MessageRow {
        message_sid: Uuid::new_v4(),
        dr_sid: Uuid::new_v4(),
        partner_sid: partner,
        did_sid: Some(did.did_sid),
        direction: "inbound".into(),
        kind: kind.as_str().into(),
        status: if ok { "received" } else { "rejected" }.into(),
        number_src: from.to_owned(),
        number_dst: did.phonenumber.clone(),
        number_billing: Some(did.phonenumber.clone()),
        number_external: Some(from.to_owned()),
        number_group_dst: group.to_vec(),
        group_recipients: group.to_vec(),
        media_urls: media.to_vec(),
        message: text.map(str::to_owned),
        message_segments: segments,
        mcc: mcc_of(&codes, from),
        mnc: Some(SIMULATED_MNC),
        rate: priced.rate,
        price: priced.price,
        mcc_mnc_rate: priced.rate,
        mcc_mnc_price: priced.price,
        provider: Some(PROVIDER.into()),
        date_created: t,
        date_changed: t,
        date_status_changed: Some(t),
        date_sent: Some(t),
        date_stop: t,
        delay_sent: Some(0),
        ..Default::default()
    };
    // Received: charged without waiting on the partner's rows (its sends go on meanwhile).
    accrual::defer(tx, partner, &priced.charges).await?;
    repo::insert(tx, std::slice::from_ref(&row)).await?;
    let charged = (!priced.charges.is_empty()).then_some(partner);
    Ok((row.clone(), ok.then(|| report(&row)), charged))
}

/// `POST /admin/simulator/sms`: a message from the outside world to a rented number.
pub async fn arrive(state: &AppState, input: InboundSmsInput, mut p: Problems) -> ApiResult<MessageRow> {
    let (from_field, from_raw) = either(("from", &input.from), ("from_did", &input.from_did));
    let (to_field, to_raw) = either(("to", &input.to), ("to_did", &input.to_did));
    let from = read_number(from_field, from_raw, true, &mut p);
    let to = read_number(to_field, to_raw, true, &mut p);
    let media: Vec<String> = input.media_urls.value().cloned().unwrap_or_default();
    let text = input.message.value().cloned();
    if text.as_deref().unwrap_or_default().is_empty() && media.is_empty() {
        p.add("message", "this field is required");
    }
    check_text(text.as_deref().unwrap_or_default(), &mut p);
    check_media(&media, &mut p);
    p.finish()?;
    let (Some(from), Some(to)) = (from, to) else { return Err(ApiError::internal("checked above")) };
    let did =
        messaging_number(state, &to).await?.into_iter().next().ok_or_else(|| {
            ApiError::MissingItem(FieldError::new(to_field, format!("cannot find a rented number {to}")))
        })?;
    let kind = MessageType::of(!media.is_empty(), false);
    let mut tx = state.pool.begin().await?;
    let (row, report, charged) = receive(state, &mut tx, &did, &from, &[], text.as_deref(), &media, kind).await?;
    let queued = callbacks::queue_sms(state, &mut tx, report.into_iter().collect()).await?;
    tx.commit().await?;
    queued.launch(state);
    if let Some(p) = charged {
        partners::ops::money_changed(state, p);
    }
    announce(state, &[&row], true).await;
    Ok(row)
}

/// One round of the simulated network: the messages whose next change is due (up to 200, none
/// another instance holds) take it, in one transaction with the messages received on this
/// server's numbers and the callbacks; answers how many moved.
pub async fn step(state: &AppState) -> ApiResult<usize> {
    let mut tx = state.pool.begin().await?;
    let mut rows = repo::claim_due(&mut tx, 200).await?;
    if rows.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let codes = countries::ops::codes(state).await?;
    let unreachable: Vec<Regex> =
        state.config.sms_unreachable_numbers.iter().filter_map(|r| Regex::new(r).ok()).collect();
    // The numbers of this server among the recipients of the messages being delivered.
    let delivering: Vec<String> = rows
        .iter()
        .filter(|r| r.status == "sent")
        .flat_map(|r| recipients(&r.number_src, Some(&r.number_dst), &r.group_recipients))
        .collect();
    let local: BTreeMap<String, RentedNumber> = if delivering.is_empty() {
        BTreeMap::new()
    } else {
        messaging_numbers(&mut tx, &delivering).await?.into_iter().map(|d| (d.phonenumber.clone(), d)).collect()
    };
    let mut reports = Vec::new();
    let mut charged = Vec::new();
    let mut received = Vec::new();
    let t = now();
    for row in rows.iter_mut() {
        row.date_changed = t;
        row.date_status_changed = Some(t);
        match row.status.as_str() {
            "queued" => {
                row.status = "sent".into();
                row.date_sent = Some(t);
                row.delay_sent = Some((t - row.date_created).num_seconds().max(0) as i32);
                row.mcc = mcc_of(&codes, &row.number_dst);
                row.mnc = Some(SIMULATED_MNC);
                row.next_step_at = Some(step_after(state, t));
            }
            _ => {
                let targets = recipients(&row.number_src, Some(&row.number_dst), &row.group_recipients);
                let mut failure = None;
                if targets.iter().any(|n| unreachable.iter().any(|re| re.is_match(n))) {
                    failure = Some("unreachable");
                }
                let kind = if row.kind == "mms" { MessageType::Mms } else { MessageType::Sms };
                for n in &targets {
                    let Some(did) = local.get(n).filter(|_| failure.is_none()) else { continue };
                    let group = if kind == MessageType::Mms && !row.group_recipients.is_empty() {
                        row.number_group_dst.clone()
                    } else {
                        Vec::new()
                    };
                    let (got, r, c) = receive(
                        state,
                        &mut tx,
                        did,
                        &row.number_src,
                        &group,
                        row.message.as_deref(),
                        &row.media_urls,
                        kind,
                    )
                    .await?;
                    match r {
                        Some(r) => reports.push(r),
                        None => failure = Some("rejected"),
                    }
                    charged.extend(c);
                    received.push(got);
                }
                row.status = if failure.is_some() { "failed" } else { "delivered" }.into();
                row.vendor_error_code = failure.map(str::to_owned);
                row.date_stop = t;
                row.next_step_at = None;
            }
        }
        reports.push(report(row));
    }
    repo::save_steps(&mut tx, &rows).await?;
    let queued = callbacks::queue_sms(state, &mut tx, reports).await?;
    tx.commit().await?;
    queued.launch(state);
    for p in charged {
        partners::ops::money_changed(state, p);
    }
    announce(state, &rows.iter().collect::<Vec<_>>(), false).await;
    announce(state, &received.iter().collect::<Vec<_>>(), true).await;
    Ok(rows.len())
}

/// The most records one ingestion takes.
pub const MAX_BATCH: usize = 10_000;

fn instant(v: &Maybe<String>, field: &str, p: &mut Problems) -> Option<DateTime<Utc>> {
    v.value().and_then(|s| {
        let t = crate::domain::time::parse_instant(s).map(|t| t.trunc_subsecs(3));
        if t.is_none() {
            p.add(field, "must be a date and time");
        }
        t
    })
}

/// `POST /admin/sms/message_drs`: records of messages the simulator did not carry (history), one
/// or up to 10,000, all or none; those without `rate`/`price` are rated from their partner's SMS
/// or MMS plan and charged to it (balance, invoice), as the messages would have been.
pub async fn ingest(
    state: &AppState,
    batch: &crate::http::input::Batch<super::types::MessageDrInput>,
    mut errors: Problems,
) -> ApiResult<Vec<MessageRow>> {
    use super::types::{DIRECTIONS, STATUSES, TYPES};
    let t0 = now();
    let mut rows: Vec<MessageRow> = Vec::new();
    for (i, input) in &batch.items {
        let mut p = Problems::new();
        p.required("partner_sid", &input.partner_sid);
        p.required("direction", &input.direction);
        let partner = input
            .partner_sid
            .value()
            .and_then(|s| Uuid::parse_str(s).map_err(|_| p.add("partner_sid", "must be a secure ID")).ok());
        let direction = input.direction.value().cloned().unwrap_or_default();
        if input.direction.value().is_some() {
            p.check(
                DIRECTIONS.contains(&direction.as_str()),
                "direction",
                "must be any, inbound, outbound or undirected",
            );
        }
        let src = read_number("number_src", input.number_src.value(), true, &mut p);
        let dst = read_number("number_dst", input.number_dst.value(), true, &mut p);
        let media = input.media_urls.value().cloned().unwrap_or_default();
        check_media(&media, &mut p);
        let group = input.number_group_dst.value().cloned().unwrap_or_default();
        for (j, g) in group.iter().enumerate() {
            if number(g).is_none() {
                p.add(format!("number_group_dst[{j}]"), "must be a phone number in E.164 format (digits only)");
            }
        }
        let kind = input.kind.value().cloned().unwrap_or_else(|| if media.is_empty() { "sms" } else { "mms" }.into());
        p.check(TYPES.contains(&kind.as_str()), "type", "must be sms or mms");
        let status = input
            .status
            .value()
            .cloned()
            .unwrap_or_else(|| if direction == "inbound" { "received" } else { "delivered" }.into());
        p.check(STATUSES.contains(&status.as_str()), "status", &format!("must be one of {}", STATUSES.join(", ")));
        let text = input.message.value().cloned();
        check_text(text.as_deref().unwrap_or_default(), &mut p);
        let mtype = if kind == "mms" { MessageType::Mms } else { MessageType::Sms };
        let segments = match input.message_segments.value() {
            Some(s) => {
                p.check(*s >= 1 && *s <= 1000, "message_segments", "must be between 1 and 1000");
                *s
            }
            None => message_segments(mtype, text.as_deref().unwrap_or_default()) as i32,
        };
        let start = instant(&input.date_start, "date_start", &mut p);
        let sent = instant(&input.date_sent, "date_sent", &mut p);
        let stop = instant(&input.date_stop, "date_stop", &mut p);
        let inserted = instant(&input.date_insert, "date_insert", &mut p).unwrap_or(t0);
        let changed = instant(&input.date_changed, "date_changed", &mut p).unwrap_or(inserted);
        if let Some(d) = input.delay_sent.value() {
            p.check(*d >= 0, "delay_sent", "must not be negative");
        }
        let limit = Decimal::from(1_000_000_000u32);
        let money = [
            ("rate", &input.rate),
            ("price", &input.price),
            ("mcc_mnc_rate", &input.mcc_mnc_rate),
            ("mcc_mnc_price", &input.mcc_mnc_price),
            ("passthrough_rate", &input.passthrough_rate),
            ("passthrough_price", &input.passthrough_price),
        ];
        for (name, v) in money {
            if let Some(m) = v.value() {
                p.check(m.0 >= Decimal::ZERO && m.0 <= limit, name, "must be between 0 and 1000000000");
            }
        }
        let dr_sid = match input.dr_sid.value() {
            Some(s) => Uuid::parse_str(s).map_err(|_| p.add("dr_sid", "must be a secure ID")).unwrap_or_default(),
            None => Uuid::new_v4(),
        };
        if batch.item_problems(*i, p, &mut errors) {
            continue;
        }
        let (Some(partner), Some(src), Some(dst)) = (partner, src, dst) else { continue };
        let created = start.unwrap_or(inserted);
        let outbound = direction != "inbound";
        let (billing, external) = if outbound { (src.clone(), dst.clone()) } else { (dst.clone(), src.clone()) };
        let money = |v: &Maybe<crate::domain::money::Money>| v.value().map(|m| m.0);
        rows.push(MessageRow {
            message_sid: Uuid::new_v4(),
            dr_sid,
            partner_sid: partner,
            direction,
            kind,
            status,
            number_billing: Some(input.number_billing.value().cloned().unwrap_or(billing)),
            number_external: Some(input.number_external.value().cloned().unwrap_or(external)),
            number_src: src,
            number_dst: dst,
            number_group_dst: group,
            media_urls: media,
            message: text,
            message_segments: segments,
            user_data: input.user_data.value().cloned(),
            mcc: input.mcc.value().copied(),
            mnc: input.mnc.value().copied(),
            rate: money(&input.rate),
            price: money(&input.price),
            mcc_mnc_rate: money(&input.mcc_mnc_rate),
            mcc_mnc_price: money(&input.mcc_mnc_price),
            passthrough_rate: money(&input.passthrough_rate),
            passthrough_price: money(&input.passthrough_price),
            a2p_campaign: input.a2p_campaign.value().cloned(),
            p2p_nnid: input.p2p_nnid.value().cloned(),
            provider: input.provider.value().cloned(),
            registration_type: input.registration_type.value().cloned(),
            vendor_error_code: input.vendor_error_code.value().cloned(),
            version: input.version.value().copied(),
            date_created: created,
            date_changed: changed,
            date_status_changed: Some(stop.unwrap_or(created)),
            date_sent: sent.or(Some(created)),
            date_stop: stop.unwrap_or(created),
            delay_sent: Some(
                input
                    .delay_sent
                    .value()
                    .copied()
                    .unwrap_or_else(|| sent.map(|s| (s - created).num_seconds().max(0) as i32).unwrap_or(0)),
            ),
            ..Default::default()
        });
    }
    errors.finish()?;
    let partners_sids: Vec<Uuid> = rows.iter().map(|r| r.partner_sid).collect::<HashSet<_>>().into_iter().collect();
    let known = partners::repo::existing(&state.pool, &partners_sids).await?;
    let missing: Vec<FieldError> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !known.contains(&r.partner_sid))
        .map(|(i, _)| FieldError::new(batch.at(i, "partner_sid"), "cannot find partner"))
        .collect();
    if !missing.is_empty() {
        return Err(ApiError::Validation(missing));
    }
    // Rating: each partner's plan for the direction and kind, read once per batch.
    let mut charges: BTreeMap<Uuid, Vec<Charge>> = BTreeMap::new();
    for row in rows.iter_mut().filter(|r| r.direction == "inbound" || r.direction == "outbound") {
        if row.rate.is_some() && row.price.is_some() {
            if let Some(price) = row.price {
                charges.entry(row.partner_sid).or_default().push(Charge {
                    kind: if row.kind == "mms" { "mms" } else { "sms" },
                    direction: Some(row.direction.clone()),
                    country_code: None,
                    usage: row.message_segments as i64,
                    amount: price,
                });
            }
            continue;
        }
        let kind = if row.kind == "mms" { MessageType::Mms } else { MessageType::Sms };
        let others: Vec<String> = if row.direction == "outbound" && !row.number_group_dst.is_empty() {
            row.number_group_dst.iter().filter(|n| Some(*n) != row.number_billing.as_ref()).cloned().collect()
        } else {
            row.number_external.clone().into_iter().collect()
        };
        let own = row.number_billing.clone().unwrap_or_default();
        let priced =
            price(state, row.partner_sid, &row.direction.clone(), kind, &own, &others, row.message_segments).await?;
        if row.rate.is_none() {
            row.rate = priced.rate;
            row.mcc_mnc_rate = row.mcc_mnc_rate.or(priced.rate);
        }
        match row.price {
            Some(p) => charges.entry(row.partner_sid).or_default().push(Charge {
                kind: kind.as_str(),
                direction: Some(row.direction.clone()),
                country_code: None,
                usage: row.message_segments as i64,
                amount: p,
            }),
            None => {
                row.price = priced.price;
                row.mcc_mnc_price = row.mcc_mnc_price.or(priced.price);
                charges.entry(row.partner_sid).or_default().extend(priced.charges);
            }
        }
    }
    let sids: Vec<Uuid> = rows.iter().map(|r| r.dr_sid).collect();
    // The key finds a record already there as the rows go in (no lookup of every record first).
    let mut tx = state.pool.begin().await?;
    if let Err(e) = repo::insert(&mut tx, &rows).await {
        drop(tx);
        return Err(ApiError::refused_batch(e, repo::DR_KEY, "dr_sid", || repo::existing_drs(&state.pool, &sids)).await);
    }
    for (partner, list) in &charges {
        accrual::charge(&mut tx, *partner, list).await?;
    }
    let saved = repo::get_drs(&mut tx, &sids).await?;
    tx.commit().await?;
    for partner in charges.keys() {
        partners::ops::money_changed(state, *partner);
    }
    Ok(saved)
}
