//! The lookup tables: LRNs of ported numbers and caller names.

use sqlx::{PgConnection, PgExecutor};

use super::types::{CnamRecord, LrnRecord};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;

/// What one lookup needs from the database, in one round trip.
#[derive(Debug, sqlx::FromRow)]
pub struct Known {
    pub alpha3: Option<String>,
    pub lrn: Option<String>,
    pub cnam_name: Option<String>,
    pub cnam_type: Option<String>,
}

pub async fn known<'e>(db: impl PgExecutor<'e>, alpha2: Option<&str>, digits: &str) -> RepoResult<Known> {
    Ok(sqlx::query_as(
        "SELECT (SELECT iso_3166_alpha_3 FROM countries WHERE iso_3166_alpha_2 = $1) AS alpha3,
                (SELECT lrn FROM lookup_lrns WHERE phonenumber = $2) AS lrn,
                c.name AS cnam_name, c.type AS cnam_type
           FROM (SELECT 1) one LEFT JOIN lookup_cnams c ON c.phonenumber = $2",
    )
    .bind(alpha2)
    .bind(digits)
    .fetch_one(db)
    .await?)
}

/// The alpha-2 code of a country given by its alpha-3 code.
pub async fn alpha2_of<'e>(db: impl PgExecutor<'e>, alpha3: &str) -> RepoResult<Option<String>> {
    Ok(sqlx::query_scalar("SELECT iso_3166_alpha_2 FROM countries WHERE iso_3166_alpha_3 = $1")
        .bind(alpha3)
        .fetch_optional(db)
        .await?)
}

/// The common name and alpha-3 code of a country given by its alpha-2 code.
pub async fn country_names<'e>(db: impl PgExecutor<'e>, alpha2: &str) -> RepoResult<Option<(String, String)>> {
    Ok(sqlx::query_as("SELECT common_name, iso_3166_alpha_3 FROM countries WHERE iso_3166_alpha_2 = $1")
        .bind(alpha2)
        .fetch_optional(db)
        .await?)
}

pub const LRNS: ListSpec = ListSpec {
    fields: &[Field::new("lrn", "l.lrn", T::Text), Field::new("phonenumber", "l.phonenumber", T::Text)],
    sid: "l.phonenumber",
    default_order: "l.phonenumber",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub const CNAMS: ListSpec = ListSpec {
    fields: &[
        Field::new("name", "c.name", T::Text),
        Field::new("phonenumber", "c.phonenumber", T::Text),
        Field::new("type", "c.type", T::Text),
    ],
    sid: "c.phonenumber",
    default_order: "c.phonenumber",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_lrns<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<LrnRecord>> {
    listing::fetch(db, &LRNS, q, "l.lrn, l.phonenumber", "lookup_lrns l", &|_| {}).await
}

pub async fn list_cnams<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<CnamRecord>> {
    listing::fetch(db, &CNAMS, q, "c.name, c.phonenumber, c.type", "lookup_cnams c", &|_| {}).await
}

/// Stores LRNs (a number already there gets the new one).
pub async fn upsert_lrns(db: &mut PgConnection, rows: &[LrnRecord]) -> RepoResult<()> {
    let numbers: Vec<&str> = rows.iter().map(|r| r.phonenumber.as_str()).collect();
    let lrns: Vec<&str> = rows.iter().map(|r| r.lrn.as_str()).collect();
    sqlx::query(
        "INSERT INTO lookup_lrns (phonenumber, lrn) SELECT * FROM UNNEST($1::text[], $2::text[])
         ON CONFLICT (phonenumber) DO UPDATE SET lrn = EXCLUDED.lrn, date_changed = date_trunc('milliseconds', now())",
    )
    .bind(&numbers)
    .bind(&lrns)
    .execute(db)
    .await?;
    Ok(())
}

/// Stores caller names (a number already there gets the new one).
pub async fn upsert_cnams(db: &mut PgConnection, rows: &[CnamRecord]) -> RepoResult<()> {
    let numbers: Vec<&str> = rows.iter().map(|r| r.phonenumber.as_str()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.name.as_str()).collect();
    let kinds: Vec<Option<&str>> = rows.iter().map(|r| r.kind.as_deref()).collect();
    sqlx::query(
        "INSERT INTO lookup_cnams (phonenumber, name, type) SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[])
         ON CONFLICT (phonenumber) DO UPDATE
            SET name = EXCLUDED.name, type = EXCLUDED.type, date_changed = date_trunc('milliseconds', now())",
    )
    .bind(&numbers)
    .bind(&names)
    .bind(&kinds)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_lrn<'e>(db: impl PgExecutor<'e>, phonenumber: &str) -> RepoResult<bool> {
    let r = sqlx::query("DELETE FROM lookup_lrns WHERE phonenumber = $1").bind(phonenumber).execute(db).await?;
    Ok(r.rows_affected() > 0)
}

pub async fn delete_cnam<'e>(db: impl PgExecutor<'e>, phonenumber: &str) -> RepoResult<bool> {
    let r = sqlx::query("DELETE FROM lookup_cnams WHERE phonenumber = $1").bind(phonenumber).execute(db).await?;
    Ok(r.rows_affected() > 0)
}
