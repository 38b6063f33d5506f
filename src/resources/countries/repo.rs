use sqlx::PgExecutor;

use super::types::Country;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;

const COLUMNS: &str = "c.capital, c.common_name, c.dialing_prefix, c.domain, c.iso_3166_alpha_2, c.iso_3166_alpha_3, \
                       c.iso_3166_numeric, c.mcc, c.official_name, c.region, c.subregion";

#[derive(sqlx::FromRow)]
pub struct CountryRow {
    capital: Option<String>,
    common_name: String,
    dialing_prefix: Option<String>,
    domain: Option<String>,
    iso_3166_alpha_2: String,
    iso_3166_alpha_3: String,
    iso_3166_numeric: i32,
    mcc: Option<String>,
    official_name: String,
    region: Option<String>,
    subregion: Option<String>,
}

impl From<CountryRow> for Country {
    fn from(r: CountryRow) -> Self {
        Country {
            capital: r.capital,
            common_name: r.common_name,
            dialing_prefix: r.dialing_prefix,
            domain: r.domain,
            iso_3166_alpha_2: r.iso_3166_alpha_2,
            iso_3166_alpha_3: r.iso_3166_alpha_3,
            iso_3166_numeric: r.iso_3166_numeric,
            mcc: r.mcc,
            official_name: r.official_name,
            region: r.region,
            subregion: r.subregion,
        }
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("capital", "c.capital", T::Text),
        Field::new("common_name", "c.common_name", T::Text),
        Field::new("dialing_prefix", "c.dialing_prefix", T::Text),
        Field::new("domain", "c.domain", T::Text),
        Field::new("iso_3166_alpha_2", "c.iso_3166_alpha_2", T::Text),
        Field::new("iso_3166_alpha_3", "c.iso_3166_alpha_3", T::Text),
        Field::new("iso_3166_numeric", "c.iso_3166_numeric", T::Int),
        Field::new("mcc", "c.mcc", T::Text),
        Field::new("official_name", "c.official_name", T::Text),
        Field::new("region", "c.region", T::Text),
        Field::new("subregion", "c.subregion", T::Text),
    ],
    sid: "c.iso_3166_alpha_3",
    default_order: "c.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<Country>> {
    let page = listing::fetch::<CountryRow, _>(db, &LIST, q, COLUMNS, "countries c", &|_| {}).await?;
    Ok(page.map(Country::from))
}

pub async fn get<'e>(db: impl PgExecutor<'e>, alpha3: &str) -> RepoResult<Option<Country>> {
    let row: Option<CountryRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM countries c WHERE c.iso_3166_alpha_3 = $1"))
            .bind(alpha3.to_ascii_uppercase())
            .fetch_optional(db)
            .await?;
    Ok(row.map(Country::from))
}

/// Whether an alpha-3 code names a country.
pub async fn exists<'e>(db: impl PgExecutor<'e>, alpha3: &str) -> RepoResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM countries WHERE iso_3166_alpha_3 = $1)")
        .bind(alpha3)
        .fetch_one(db)
        .await?)
}

/// Every country's (alpha-2, alpha-3) codes.
pub async fn codes<'e>(db: impl PgExecutor<'e>) -> RepoResult<Vec<(String, String)>> {
    Ok(sqlx::query_as("SELECT iso_3166_alpha_2, iso_3166_alpha_3 FROM countries").fetch_all(db).await?)
}

/// Every country's alpha-2 code with its alpha-3 code and mobile country codes.
pub async fn reference_codes<'e>(db: impl PgExecutor<'e>) -> RepoResult<Vec<(String, String, Option<String>)>> {
    Ok(sqlx::query_as("SELECT iso_3166_alpha_2, iso_3166_alpha_3, mcc FROM countries").fetch_all(db).await?)
}
