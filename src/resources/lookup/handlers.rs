use std::collections::HashSet;
use std::net::IpAddr;

use axum::extract::State;
use axum::response::Response;

use super::repo;
use super::types::*;
use crate::domain::scopes::Scope;
use crate::domain::{carriers, geo, geoip, phone};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{JsonBody, PathParams, QueryParams};
use crate::http::input::{Batch, Problems};
use crate::http::listing::{ListQuery, RequestUrl};
use crate::http::respond;
use crate::resources::invoices::accrual::{self, Charge};
use crate::state::AppState;

/// How many records one admin request may carry.
const MAX_BATCH: usize = 10_000;

/// `GET /lookup/dids/{phonenumber}`: formats, country and state of a number; with `carrier`,
/// `cnam` and `lrn` (each allowed by its own scope) those details.
pub async fn lookup_did(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let allowed = |s: Scope| caller.scopes().grants(s);
    let want_carrier = query.bool("carrier")?.unwrap_or(false) && allowed(Scope::LookupDidsAllowCarrier);
    let want_cnam = query.bool("cnam")?.unwrap_or(false) && allowed(Scope::LookupDidsAllowCnam);
    let want_lrn = query.bool("lrn")?.unwrap_or(false) && allowed(Scope::LookupDidsAllowLrn);
    // CNAM answers are read from the table on every lookup: never older than any TTL asked.
    if let Some(ttl) = query.get("cnam_ttl") {
        if ttl.parse::<u32>().is_err() {
            return Err(ApiError::bad_param("cnam_ttl", "must be a number of seconds"));
        }
    }
    let e164 = match query.get("guess").unwrap_or("north_america") {
        "north_america" | "e164" => query.get("guess") == Some("e164"),
        _ => return Err(ApiError::bad_param("guess", "must be north_america or e164")),
    };
    let region = match query.get("country_code").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match repo::alpha2_of(&state.pool, &c.to_ascii_uppercase()).await? {
            Some(a2) => Some(a2),
            None => return Err(ApiError::bad_param("country_code", "must be an ISO 3166-1 alpha-3 country code")),
        },
    };

    // A malformed number is a 404 and one that matches no valid number a 400 (the reference's rule).
    let digits = phone::digits(&raw);
    let well_formed =
        !digits.is_empty() && digits.len() <= 15 && raw.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !well_formed {
        return Err(ApiError::not_found("phone number"));
    }
    let full = match &region {
        Some(r) if !raw.starts_with('+') => phone::e164_in(&raw, r),
        _ if raw.starts_with('+') || e164 => Some(digits.clone()),
        // North America first: ten digits are a NANP number without its 1.
        _ if digits.len() == 10 => Some(format!("1{digits}")),
        _ => Some(digits.clone()),
    };
    let Some((a, line_type)) = full.as_deref().and_then(phone::analyze_with_type) else {
        return Err(ApiError::not_found("phone number"));
    };
    if !a.valid {
        return Err(ApiError::bad_param("phonenumber", "does not match any valid phone number"));
    }

    let known = repo::known(&state.pool, a.region.as_deref(), &a.digits).await?;
    let nanp = a.digits.len() == 11 && a.digits.starts_with('1');
    let lookup = PhonenumberLookup {
        country_code: known.alpha3,
        details: LookupDetails {
            carrier: want_carrier.then(|| CarrierDetail {
                mcc: None,
                mnc: None,
                name: carriers::carrier_of(&a.digits).map(str::to_owned),
                kind: line_type.map(str::to_owned),
            }),
            cnam: want_cnam.then(|| CnamDetail { name: known.cnam_name.unwrap_or_default(), kind: known.cnam_type }),
            // A ported number answers its LRN, any other its own number (ten digits in NANP).
            lrn: want_lrn
                .then(|| known.lrn.unwrap_or_else(|| if nanp { a.digits[1..].to_owned() } else { a.digits.clone() })),
        },
        e164_format: format!("+{}", a.digits),
        in_country_format: a.national.clone(),
        international_format: a.international.clone(),
        phonenumber: a.digits.clone(),
        state: geo::nanp_place(&a.digits).map(|p| p.state),
    };
    // Each detail answered is a line of the partner's invoice.
    let prices = &state.config.lookup_prices;
    let charges: Vec<Charge> = [
        (want_carrier, "did_lookup_carrier", prices.carrier),
        (want_cnam, "did_lookup_cnam", prices.cnam),
        (want_lrn, "did_lookup_lrn", prices.lrn),
    ]
    .into_iter()
    .filter(|(wanted, _, _)| *wanted)
    .map(|(_, kind, amount)| Charge {
        kind,
        direction: None,
        country_code: lookup.country_code.clone(),
        usage: 1,
        amount,
    })
    .collect();
    accrual::record(&state.pool, caller.partner_sid(), &charges).await?;
    respond::object(&lookup, &query)
}

/// Where a public IP address is: the database's answer with the country's names.
async fn locate(state: &AppState, raw: &str) -> ApiResult<IpLocation> {
    let ip: IpAddr =
        raw.trim().parse().map_err(|_| ApiError::bad_param("ip_address", "must be an IPv4 or IPv6 address"))?;
    if !geoip::is_public(ip) {
        return Err(ApiError::not_found("ip address"));
    }
    let db = state.geoip.get().ok_or(ApiError::NotInstalled(if state.geoip.installing() {
        "the IP geolocation database is being installed on this server: try again in a minute"
    } else {
        "no IP geolocation database is installed on this server (tools/setup-data.sh installs one)"
    }))?;
    let place = db.lookup(ip).map_err(ApiError::internal)?.ok_or_else(|| ApiError::not_found("ip address"))?;
    let names = repo::country_names(&state.pool, &place.country).await?;
    let us = place.country == "US";
    Ok(IpLocation {
        city: place.city,
        common_name: names.as_ref().map(|n| n.0.clone()),
        iso_3166_alpha_3: names.map(|n| n.1),
        // A US state by its code, as the reference shows it; elsewhere the region's name.
        state: place.subdivision.as_deref().filter(|_| us).and_then(geoip::us_state_code).map(str::to_owned),
        region: place.subdivision.filter(|_| !us),
        iso_3166_alpha_2: place.country,
    })
}

/// `GET /lookup/ip_addresses/{ip_address}` (and the reference's `/lookup/lookup/...` spelling).
pub async fn lookup_ip(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    respond::object(&locate(&state, &raw).await?, &query)
}

/// `GET /countries/ip/{ip_address}`: the country (and place) of an IP address.
pub async fn country_by_ip(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let l = locate(&state, &raw).await?;
    let c = IpCountry {
        city: l.city,
        common_name: l.common_name,
        iso_3166_alpha_2: l.iso_3166_alpha_2,
        region: l.region,
        state: l.state,
    };
    respond::object(&c, &query)
}

/// The phone number of an admin record as E.164 digits; required, once per request.
fn number(raw: Option<&String>, field: &str, seen: &mut HashSet<String>, p: &mut Problems) -> String {
    let Some(raw) = raw else {
        p.add(field, "field is required");
        return String::new();
    };
    let Some(a) = phone::analyze(raw) else {
        p.add(field, "must be a phone number in the E.164 format");
        return String::new();
    };
    if !seen.insert(a.digits.clone()) {
        p.add(field, "appears twice in the request");
    }
    a.digits
}

/// `POST /admin/lookup/lrns`: `{"phonenumber", "lrn"}` or an array of them, all or none; a
/// number already there gets the new LRN.
pub async fn put_lrns(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut p = Problems::new();
    let batch: Batch<LrnInput> = Batch::parse(body.0, MAX_BATCH, "an LRN record", &mut p)?;
    let mut rows = Vec::with_capacity(batch.items.len());
    let mut seen = HashSet::new();
    for (i, v) in &batch.items {
        let phonenumber = number(v.phonenumber.value(), &batch.at(*i, "phonenumber"), &mut seen, &mut p);
        let lrn = v.lrn.value().cloned().unwrap_or_default();
        p.check(
            !lrn.is_empty() && lrn.len() <= 15 && lrn.bytes().all(|b| b.is_ascii_digit()),
            &batch.at(*i, "lrn"),
            "must be 1 to 15 digits",
        );
        rows.push(LrnRecord { lrn, phonenumber });
    }
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::upsert_lrns(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(batch.answer(rows))
}

/// `POST /admin/lookup/cnams`: `{"phonenumber", "name", "type"}` or an array of them, all or none.
pub async fn put_cnams(State(state): State<AppState>, _caller: Caller, body: JsonBody) -> ApiResult<Response> {
    let mut p = Problems::new();
    let batch: Batch<CnamInput> = Batch::parse(body.0, MAX_BATCH, "a CNAM record", &mut p)?;
    let mut rows = Vec::with_capacity(batch.items.len());
    let mut seen = HashSet::new();
    for (i, v) in &batch.items {
        let phonenumber = number(v.phonenumber.value(), &batch.at(*i, "phonenumber"), &mut seen, &mut p);
        p.required(&batch.at(*i, "name"), &v.name);
        let name = v.name.value().cloned().unwrap_or_default();
        // CNAM delivers at most 15 characters.
        p.check(name.chars().count() <= 15, &batch.at(*i, "name"), "has at most 15 characters");
        rows.push(CnamRecord { name, phonenumber, kind: v.kind.value().cloned() });
    }
    p.finish()?;
    let mut tx = state.pool.begin().await?;
    repo::upsert_cnams(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(batch.answer(rows))
}

pub async fn list_lrns(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LRNS)?;
    respond::list(repo::list_lrns(&state.pool, &q).await?, &q, &url, "phonenumber")
}

pub async fn list_cnams(State(state): State<AppState>, _caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::CNAMS)?;
    respond::list(repo::list_cnams(&state.pool, &q).await?, &q, &url, "phonenumber")
}

pub async fn delete_lrn(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    if !repo::delete_lrn(&state.pool, &phone::digits(&raw)).await? {
        return Err(ApiError::not_found("lrn"));
    }
    Ok(respond::no_content())
}

pub async fn delete_cnam(
    State(state): State<AppState>,
    _caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    if !repo::delete_cnam(&state.pool, &phone::digits(&raw)).await? {
        return Err(ApiError::not_found("cnam"));
    }
    Ok(respond::no_content())
}
