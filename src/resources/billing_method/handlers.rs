use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::repo;
use super::types::{luhn, BillingMethodInput, CARD_TYPES, OTHER_TYPES};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::input::Maybe;
use crate::http::respond;
use crate::resources::countries;
use crate::resources::partners::ops::visible;
use crate::state::AppState;

fn digits(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace() && *c != '-').collect()
}

fn last4(s: &str) -> String {
    let d = digits(s);
    d[d.len().saturating_sub(4)..].to_owned()
}

pub async fn register_billing_method(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw_sid): PathParams<String>,
    Body { input, problems: mut p, .. }: Body<BillingMethodInput>,
) -> ApiResult<Response> {
    let partner = visible(&state, &caller, &raw_sid).await?;
    for (f, v) in [
        ("country_code", &input.country_code),
        ("first_name", &input.first_name),
        ("last_name", &input.last_name),
        ("phone", &input.phone),
        ("type", &input.kind),
        ("zip", &input.zip),
    ] {
        p.required(f, v);
    }
    let kind = input.kind.value().cloned().unwrap_or_default();
    let card = CARD_TYPES.contains(&kind.as_str());
    if input.kind.value().is_some() && !card && !OTHER_TYPES.contains(&kind.as_str()) {
        p.add("type", format!("must be one of {}, {}", CARD_TYPES.join(", "), OTHER_TYPES.join(", ")));
    }
    if card {
        p.required("cc_number", &input.cc_number);
        p.required("cc_expiration", &input.cc_expiration);
        p.required("cc_cid", &input.cc_cid);
        if let Maybe::Value(n) = &input.cc_number {
            let d = digits(n);
            p.check(d.len() >= 12 && d.len() <= 19 && luhn(&d), "cc_number", "is not a valid card number");
        }
        if let Maybe::Value(e) = &input.cc_expiration {
            let ok = e.len() == 6
                && e.chars().all(|c| c.is_ascii_digit())
                && (1..=12).contains(&e[..2].parse::<u32>().unwrap_or(0));
            p.check(ok, "cc_expiration", "must be a date in the mmyyyy format");
        }
        if let Maybe::Value(c) = &input.cc_cid {
            p.check(
                (3..=4).contains(&c.len()) && c.chars().all(|c| c.is_ascii_digit()),
                "cc_cid",
                "must be 3 or 4 digits",
            );
        }
    } else if OTHER_TYPES.contains(&kind.as_str()) {
        p.required("address1", &input.address1);
        p.required("city", &input.city);
        if kind == "electronic_check" {
            p.required("ec_account_number", &input.ec_account_number);
            p.required("ec_routing_number", &input.ec_routing_number);
            if let Maybe::Value(r) = &input.ec_routing_number {
                p.check(r.len() == 9 && r.chars().all(|c| c.is_ascii_digit()), "ec_routing_number", "must be 9 digits");
            }
            if let Maybe::Value(a) = &input.ec_account_number {
                let d = digits(a);
                p.check(
                    (4..=17).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()),
                    "ec_account_number",
                    "must be 4 to 17 digits",
                );
            }
        }
    }
    if let Maybe::Value(s) = &input.state {
        p.check(
            s.is_empty() || (s.len() == 2 && s.chars().all(|c| c.is_ascii_alphabetic())),
            "state",
            "must be a two-letter code",
        );
    }
    let country = input.country_code.value().map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country {
        if !countries::repo::exists(&state.pool, c).await? {
            p.add("country_code", "must be an ISO 3166-1 alpha-3 country code");
        }
    }
    p.finish()?;

    let new = repo::NewBillingMethod {
        kind: &kind,
        address1: input.address1.value(),
        address2: input.address2.value(),
        cc_expiration: if card { input.cc_expiration.value() } else { None },
        cc_number_last4: if card { input.cc_number.value().map(|n| last4(n)) } else { None },
        city: input.city.value(),
        country_code: country.as_ref(),
        ec_account_last4: input.ec_account_number.value().filter(|_| kind == "electronic_check").map(|n| last4(n)),
        ec_routing_number: input.ec_routing_number.value().filter(|_| kind == "electronic_check"),
        first_name: input.first_name.value(),
        last_name: input.last_name.value(),
        phone: input.phone.value(),
        state: input.state.value(),
        zip: input.zip.value(),
    };
    let mut tx = state.pool.begin().await?;
    let bm = repo::replace(&mut tx, partner.partner_sid, &new).await?;
    tx.commit().await?;
    Ok(Json(bm).into_response())
}

pub async fn get_billing_method(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw_sid): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let partner = visible(&state, &caller, &raw_sid).await?;
    let bm = repo::get(&state.pool, partner.partner_sid).await?;
    respond::object(&bm.ok_or_else(|| ApiError::not_found("billing method"))?, &query)
}

pub async fn delete_billing_method(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw_sid): PathParams<String>,
) -> ApiResult<Response> {
    let partner = visible(&state, &caller, &raw_sid).await?;
    if !repo::delete(&state.pool, partner.partner_sid).await? {
        return Err(ApiError::not_found("billing method"));
    }
    Ok(respond::no_content())
}
