//! Demo data (`CARRIERX_DEMO_DATA=true`), loaded once per database: a phone number inventory
//! over several US states (real exchanges, from the geocoding table) and a few countries; a
//! default rate plan for every rate route; a week of rated call records of the root partner; and
//! the demo tenant ([`tenant`]), a sub-partner with something of every resource.

mod repo;
pub mod tenant;

use sqlx::PgPool;

use chrono::SubsecRound;

use crate::config::Config;
use crate::resources::calls::repo::CdrRow;
use crate::state::AppState;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domain::rating::{self, RateItem};
use crate::domain::{geo, phone};
use crate::http::error::ApiError;
use crate::resources::dids::repo::{self as dids, NewNumber};
use crate::resources::partners::repo as partners;
use crate::resources::rates::repo::{self as rates, NewItem};

const MARKER: &str = "demo_data:inventory:v1";

/// Area codes of the demo inventory: three exchanges each, a hundred numbers per exchange.
const AREA_CODES: &[&str] = &["212", "516", "312", "213", "415", "305", "512", "206", "617", "404", "416", "604"];

/// International numbers: (country code and leading digits, how many).
const INTERNATIONAL: &[(&str, u32)] = &[("442079460", 100), ("39066988", 100), ("493012345", 100), ("33142", 100)];

fn us_numbers() -> Vec<String> {
    let mut out = Vec::new();
    for npa in AREA_CODES {
        let mut exchanges: Vec<String> = geo::exchanges_of(&format!("1{npa}")).into_iter().take(3).collect();
        if exchanges.is_empty() {
            exchanges = vec![format!("1{npa}200")];
        }
        for ex in exchanges {
            for line in 1000..1100 {
                out.push(format!("{ex}{line}"));
            }
        }
    }
    out
}

fn international_numbers() -> Vec<String> {
    let mut out = Vec::new();
    for (lead, n) in INTERNATIONAL {
        // Pad to a full national length for each country with a running line number.
        let total = match &lead[..2] {
            "44" => 12,
            "39" => 12,
            "49" => 13,
            "33" => 11,
            _ => 12,
        };
        for i in 0..*n {
            let line = format!("{:0width$}", i, width = total - lead.len());
            out.push(format!("{lead}{line}"));
        }
    }
    out
}

/// A transaction holding the demo lock, unless `marker` says that part is loaded already.
async fn begin_once(
    pool: &PgPool,
    marker: &str,
) -> Result<Option<sqlx::Transaction<'static, sqlx::Postgres>>, ApiError> {
    let mut tx = pool.begin().await?;
    repo::lock_demo(&mut tx).await?;
    let done = repo::marked(&mut *tx, marker).await?;
    Ok((!done).then_some(tx))
}

/// Records that the part of the demo data named `marker` is loaded.
async fn mark<'e>(db: impl sqlx::PgExecutor<'e>, marker: &str) -> Result<(), ApiError> {
    Ok(repo::mark(db, marker).await?)
}

/// Loads the demo data unless it is loaded already; returns how many numbers were added.
pub async fn load(state: &AppState) -> Result<usize, ApiError> {
    let added = load_inventory(&state.pool, &state.config).await?;
    load_calls(&state.pool).await?;
    if tenant::load(state).await? {
        tracing::info!(login = tenant::LOGIN, "demo tenant made");
    }
    Ok(added)
}

const CALLS_MARKER: &str = "demo_data:calls:v1";

fn pstn_items() -> Vec<RateItem> {
    let item = |prefix: Option<&str>, price: &str, inc: i32, min: i32| RateItem {
        prefix: prefix.map(str::to_owned),
        price: price.parse().expect("a price"),
        billing_increment: inc,
        billing_minimum: min,
    };
    vec![
        item(None, "0.05", 60, 60),
        item(Some("1"), "0.005", 6, 6),
        item(Some("1800"), "0", 6, 6),
        item(Some("44"), "0.02", 60, 60),
        item(Some("39"), "0.021", 60, 60),
        item(Some("49"), "0.019", 60, 60),
        item(Some("33"), "0.018", 60, 60),
    ]
}

/// Default plans for every rate route, and a week of the root partner's calls rated with them.
async fn load_calls(pool: &PgPool) -> Result<(), ApiError> {
    let Some(mut tx) = begin_once(pool, CALLS_MARKER).await? else {
        return Ok(());
    };
    let kinds: Vec<(String, Vec<RateItem>)> = std::iter::once(("pstn".to_owned(), pstn_items()))
        .chain(crate::resources::rates::types::VOIP_SUB_TYPES.iter().enumerate().map(|(i, s)| {
            let price = Decimal::new(1 + i as i64, 3);
            (format!("voip:{s}"), vec![RateItem { prefix: None, price, billing_increment: 60, billing_minimum: 60 }])
        }))
        .collect();
    // In effect since thirty days ago; each replaces the reference plan of its route (never an
    // admin's default).
    let effective =
        (chrono::Utc::now() - chrono::Duration::days(30)).date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    let item = |it: &RateItem| NewItem {
        prefix: it.prefix.clone(),
        country_code: None,
        price: Some(it.price),
        billing_increment: it.billing_increment,
        billing_minimum: it.billing_minimum,
        classification_sid: None,
        tier_quantities: None,
        tier_prices: None,
    };
    for direction in ["inbound", "outbound"] {
        for (kind, items) in &kinds {
            let name = format!("demo_{direction}_{}", kind.replace(':', "_"));
            let items: Vec<NewItem> = items.iter().map(item).collect();
            let plan = rates::insert_plan(&mut tx, Uuid::new_v4(), &name, effective, &items).await?;
            rates::assign_default_over_builtin(&mut *tx, direction, kind, plan.sid()).await?;
        }
    }
    // The DID rental rates (`GET /phonenumber/rates`): 0.6 a number, cheaper by the hundred and
    // the thousand.
    let tiers = NewItem {
        price: Some(Decimal::new(6, 1)),
        tier_quantities: Some(vec![0, 100, 1000]),
        tier_prices: Some(vec![Decimal::new(6, 1), Decimal::new(5, 1), Decimal::new(4, 1)]),
        ..item(&RateItem { prefix: None, price: Decimal::ZERO, billing_increment: 60, billing_minimum: 60 })
    };
    let plan = rates::insert_plan(&mut tx, Uuid::new_v4(), "demo_did_rental", effective, &[tiers]).await?;
    rates::assign_default_over_builtin(&mut *tx, "any", "did", plan.sid()).await?;
    if let Some(root) = partners::root_sid(&mut *tx).await? {
        let items = pstn_items();
        let now = chrono::Utc::now();
        let externals = ["15162065575", "12125550100", "13125550199", "442079460123", "390669881234", "18005550199"];
        let ms = |t: chrono::DateTime<chrono::Utc>| t.trunc_subsecs(3);
        let records: Vec<CdrRow> = (0..500i64)
            .map(|i| {
                let stop = ms(now - chrono::Duration::seconds(i * 1201));
                let secs = (i * 37) % 900;
                let start = stop - chrono::Duration::seconds(secs);
                let outbound = i % 3 != 0;
                let external = externals[(i as usize) % externals.len()];
                let did = "15162065575";
                let item = rating::best(&items, external).expect("a catch-all item");
                let (billed, price) = rating::bill(Decimal::from(secs), item);
                let text = |s: &str| Some(s.to_owned());
                CdrRow {
                    dr_sid: Uuid::new_v4(),
                    partner_sid: root,
                    date_start: Some(start),
                    date_stop: stop,
                    date_talk: (secs > 0).then(|| start + chrono::Duration::seconds(2)),
                    date_insert: stop + chrono::Duration::seconds(3),
                    direction: text(if outbound { "outbound" } else { "inbound" }),
                    kind: text("telecom"),
                    version: Some(2),
                    duration: Some(Decimal::from(secs)),
                    duration_billing: Some(billed),
                    rate: Some(item.price),
                    price: Some(price),
                    number_billing: text(did),
                    number_external: text(external),
                    number_src: text(if outbound { did } else { external }),
                    number_dst: text(if outbound { external } else { did }),
                    sipcause: text(if secs > 0 { "200" } else { "487" }),
                    disconnect_originator: text(if i % 2 == 0 { "SRC" } else { "DST" }),
                    ..CdrRow::default()
                }
            })
            .collect();
        crate::resources::calls::repo::insert_batch(&mut tx, &records).await?;
    }
    mark(&mut *tx, CALLS_MARKER).await?;
    tx.commit().await?;
    Ok(())
}

async fn load_inventory(pool: &PgPool, config: &Config) -> Result<usize, ApiError> {
    let Some(mut tx) = begin_once(pool, MARKER).await? else {
        return Ok(0);
    };
    let codes = crate::resources::countries::repo::codes(&mut *tx).await?;
    let mut numbers = Vec::new();
    for digits in us_numbers().into_iter().chain(international_numbers()) {
        let Some(a) = phone::analyze(&digits) else { continue };
        let place = geo::nanp_place(&a.digits);
        let country = a.region.as_deref().and_then(|r| codes.iter().find(|(a2, _)| a2 == r)).map(|(_, a3)| a3.clone());
        numbers.push(NewNumber {
            phonenumber: a.digits,
            capabilities: if place.is_some() { 31 } else { 4 },
            price: config.did_default_price,
            country_code: country,
            in_country_format: Some(a.national),
            international_format: Some(a.international),
            state: place.as_ref().map(|p| p.state.clone()),
            locality: place.and_then(|p| p.locality),
            classification_sid: None,
            provider_sid: None,
            lrn_sid: None,
            ocn: None,
        });
    }
    let wanted: Vec<String> = numbers.iter().map(|n| n.phonenumber.clone()).collect();
    let taken: std::collections::HashSet<String> =
        dids::existing(&mut *tx, &wanted).await?.into_iter().map(|(n, _)| n).collect();
    numbers.retain(|n| !taken.contains(&n.phonenumber));
    let added = numbers.len();
    for chunk in numbers.chunks(5000) {
        dids::insert_inventory(&mut tx, chunk, drop).await?;
    }
    mark(&mut *tx, MARKER).await?;
    tx.commit().await?;
    Ok(added)
}
