//! `GET /rating/calls/pstn`, `/rating/calls/voip/{sub_type}`, `/rating/sms/{sub_type}` and
//! `/rating/mms/{sub_type}`: what a call or a message would cost the caller (or a partner of its
//! tree), priced from the same plans that rate its records.

use axum::extract::{OriginalUri, State};
use axum::response::Response;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::types::{RatingCall, RatingMessage};
use crate::domain::phone;
use crate::domain::rating::{self, RateItem};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{PathParams, QueryParams};
use crate::http::respond;
use crate::resources::partners;
use crate::resources::rates::ops::rating_items;
use crate::resources::rates::types::{MESSAGE_SUB_TYPES, RATED_VOIP_SUB_TYPES};
use crate::state::AppState;

/// What the query asks to price.
struct Asked {
    direction: String,
    /// The other party's number, digits only.
    to: String,
    /// Call seconds (calls) or segments (messages).
    quantity: i64,
    partner: Uuid,
}

/// Reads `direction`, `to`, `quantity_param` (required for calls; messages default to one
/// segment) and `partner_sid`, naming every bad one at once.
async fn asked(
    state: &AppState,
    caller: &Caller,
    q: &QueryParams,
    quantity_param: &'static str,
    required: bool,
) -> ApiResult<Asked> {
    let mut errors = Vec::new();
    let direction = match q.get("direction").filter(|s| !s.is_empty()) {
        Some(d @ ("inbound" | "outbound")) => d.to_owned(),
        Some(_) => {
            errors.push(FieldError::new("direction", "must be inbound or outbound"));
            String::new()
        }
        None => {
            errors.push(FieldError::new("direction", "is required"));
            String::new()
        }
    };
    let to = phone::digits(q.get("to").unwrap_or_default());
    if to.is_empty() {
        errors.push(FieldError::new("to", "is required: the destination number"));
    }
    let quantity = match q.get(quantity_param).filter(|s| !s.is_empty()) {
        None if required => {
            errors.push(FieldError::new(quantity_param, "is required"));
            0
        }
        None => 1,
        Some(v) => match v.trim().parse::<i64>() {
            Ok(n) if (0..=1_000_000_000).contains(&n) && (required || n >= 1) => n,
            _ => {
                let what = if required { "a whole number of seconds" } else { "a whole number of segments" };
                errors.push(FieldError::new(quantity_param, format!("must be {what}")));
                0
            }
        },
    };
    let partner = match q.get("partner_sid").filter(|s| !s.is_empty()) {
        None => Some(caller.partner_sid()),
        Some(s) => match Uuid::parse_str(s) {
            Ok(u) => Some(u),
            Err(_) => {
                errors.push(FieldError::new("partner_sid", "must be a secure ID"));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::BadParameters(errors));
    }
    let partner = partner.unwrap_or_default();
    // Another partner is priced only for its ancestors (and through nothing outside the tree).
    if partner != caller.partner_sid() {
        match partners::ops::find(state, partner).await? {
            Some(p) if caller.sees(&p.tree_path) => {}
            _ => return Err(ApiError::not_found("partner")),
        }
    }
    Ok(Asked { direction, to, quantity, partner })
}

/// The item of the partner's plan for `kind` that rates the number.
async fn item(state: &AppState, a: &Asked, kind: &str) -> ApiResult<RateItem> {
    let items = rating_items(&mut *state.pool.acquire().await?, a.partner, &a.direction, kind)
        .await?
        .ok_or_else(|| ApiError::not_found("rates plan"))?;
    rating::best(&items, &a.to).cloned().ok_or_else(|| ApiError::not_found("rate"))
}

/// Money as the rating samples write it: five decimals.
fn five(d: Decimal) -> String {
    format!("{:.5}", d.round_dp(5))
}

async fn price_call(state: &AppState, caller: &Caller, q: &QueryParams, kind: &str) -> ApiResult<Response> {
    let a = asked(state, caller, q, "duration", true).await?;
    let item = item(state, &a, kind).await?;
    let (billed, price) = rating::bill(Decimal::from(a.quantity), &item);
    let answer = RatingCall {
        direction: a.direction,
        duration_billing: billed.to_string(),
        price: five(price),
        rate: five(item.price),
    };
    respond::object(&answer, q)
}

async fn price_message(
    state: &AppState,
    caller: &Caller,
    q: &QueryParams,
    kind: &str,
    mms: bool,
) -> ApiResult<Response> {
    let a = asked(state, caller, q, "message_segments", false).await?;
    // An MMS is one segment whatever its text.
    let segments = if mms { 1 } else { a.quantity };
    let item = item(state, &a, kind).await?;
    let answer = RatingMessage {
        direction: a.direction,
        price: five(item.price * Decimal::from(segments)),
        rate: five(item.price),
        segments: segments.to_string(),
    };
    respond::object(&answer, q)
}

/// The sub-type of the path if it is one of `known`, else the reference's 404.
fn sub_type<'a>(raw: &'a str, known: &[&str]) -> ApiResult<&'a str> {
    known.contains(&raw).then_some(raw).ok_or_else(|| ApiError::NotFound(format!("cannot find sub_type {raw}")))
}

pub async fn rate_pstn_call(State(state): State<AppState>, caller: Caller, query: QueryParams) -> ApiResult<Response> {
    price_call(&state, &caller, &query, "pstn").await
}

pub async fn rate_voip_call(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sub = sub_type(&raw, RATED_VOIP_SUB_TYPES)?;
    price_call(&state, &caller, &query, &format!("voip:{sub}")).await
}

/// `GET /rating/sms/{sub_type}` and `/rating/mms/{sub_type}`: the path says which.
pub async fn rate_message(
    State(state): State<AppState>,
    caller: Caller,
    uri: OriginalUri,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let sub = sub_type(&raw, MESSAGE_SUB_TYPES)?;
    let mms = uri.0.path().contains("/rating/mms/");
    let kind = format!("{}:{sub}", if mms { "mms" } else { "sms" });
    price_message(&state, &caller, &query, &kind, mms).await
}
