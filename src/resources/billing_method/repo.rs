use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::BillingMethod;
use crate::db::RepoResult;

const SELECT: &str = "SELECT address1, address2, cc_expiration, cc_number_last4 AS cc_number, city, country_code, \
    ec_account_last4 AS ec_account_number, ec_routing_number, first_name, last_name, phone, state, type, zip \
    FROM billing_methods WHERE partner_sid = $1";

/// What is stored of a billing method: never a full card or account number, never the CID.
pub struct NewBillingMethod<'a> {
    pub kind: &'a str,
    pub address1: Option<&'a String>,
    pub address2: Option<&'a String>,
    pub cc_expiration: Option<&'a String>,
    pub cc_number_last4: Option<String>,
    pub city: Option<&'a String>,
    pub country_code: Option<&'a String>,
    pub ec_account_last4: Option<String>,
    pub ec_routing_number: Option<&'a String>,
    pub first_name: Option<&'a String>,
    pub last_name: Option<&'a String>,
    pub phone: Option<&'a String>,
    pub state: Option<&'a String>,
    pub zip: Option<&'a String>,
}

pub async fn get<'e>(db: impl PgExecutor<'e>, partner_sid: Uuid) -> RepoResult<Option<BillingMethod>> {
    Ok(sqlx::query_as(SELECT).bind(partner_sid).fetch_optional(db).await?)
}

/// Registers a partner's billing method, replacing the one it had.
pub async fn replace(db: &mut PgConnection, partner_sid: Uuid, b: &NewBillingMethod<'_>) -> RepoResult<BillingMethod> {
    sqlx::query("DELETE FROM billing_methods WHERE partner_sid = $1").bind(partner_sid).execute(&mut *db).await?;
    sqlx::query(
        "INSERT INTO billing_methods (partner_sid, type, address1, address2, cc_expiration, cc_number_last4, city, country_code,
             ec_account_last4, ec_routing_number, first_name, last_name, phone, state, zip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(partner_sid)
    .bind(b.kind)
    .bind(b.address1)
    .bind(b.address2)
    .bind(b.cc_expiration)
    .bind(&b.cc_number_last4)
    .bind(b.city)
    .bind(b.country_code)
    .bind(&b.ec_account_last4)
    .bind(b.ec_routing_number)
    .bind(b.first_name)
    .bind(b.last_name)
    .bind(b.phone)
    .bind(b.state)
    .bind(b.zip)
    .execute(&mut *db)
    .await?;
    Ok(sqlx::query_as(SELECT).bind(partner_sid).fetch_one(&mut *db).await?)
}

/// Deletes it; false when there was none.
pub async fn delete<'e>(db: impl PgExecutor<'e>, partner_sid: Uuid) -> RepoResult<bool> {
    let done = sqlx::query("DELETE FROM billing_methods WHERE partner_sid = $1").bind(partner_sid).execute(db).await?;
    Ok(done.rows_affected() > 0)
}
