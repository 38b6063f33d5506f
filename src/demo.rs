//! Demo data (`CARRIERX_DEMO_DATA=true`), loaded once per database: a phone number inventory
//! over several US states (real exchanges, from the geocoding table) and a few countries.
//! Rate plans and call records join it with their API sections.

use sqlx::PgPool;

use crate::config::Config;
use crate::domain::{geo, phone};
use crate::http::error::ApiError;
use crate::resources::dids::repo::{self as dids, NewNumber};

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

/// Loads the demo data unless it is loaded already; returns how many numbers were added.
pub async fn load(pool: &PgPool, config: &Config) -> Result<usize, ApiError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('carrierx_demo'))").execute(&mut *tx).await?;
    let done: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM local_markers WHERE name = $1)").bind(MARKER).fetch_one(&mut *tx).await?;
    if done {
        return Ok(0);
    }
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
    let taken: std::collections::HashSet<String> = dids::existing(&mut *tx, &wanted).await?.into_iter().map(|(n, _)| n).collect();
    numbers.retain(|n| !taken.contains(&n.phonenumber));
    let added = numbers.len();
    for chunk in numbers.chunks(5000) {
        dids::insert_inventory(&mut tx, chunk).await?;
    }
    sqlx::query("INSERT INTO local_markers (name) VALUES ($1)").bind(MARKER).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(added)
}
