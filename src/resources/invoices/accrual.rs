//! Where money moves: every charge the clone records (rated calls, number rentals, lookups)
//! goes through [`charge`], in the transaction of the event that causes it, and every payment
//! through [`pay`]. A charge adds to its line of the partner's open invoice and takes the amount
//! from the partner's `balance` (and adds it to `daily_spent_amount`); a payment puts it back.
//! Concurrent charges to one partner never lose an update: lines grow with `ON CONFLICT DO
//! UPDATE` in a fixed order, the balance with one `UPDATE` of the partner row.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::http::error::{ApiError, ApiResult};
use crate::resources::billing_method::types::CARD_TYPES;

/// One charge: a line of the invoice (`type`, `direction`, `country_code`) and what it adds.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    pub kind: &'static str,
    pub direction: Option<String>,
    pub country_code: Option<String>,
    pub usage: i64,
    pub amount: Decimal,
}

/// A line of an invoice: `type`, `direction`, `country_code`.
type LineKey = (&'static str, Option<String>, Option<String>);

/// The partner's open invoice, locked against closing until the transaction ends.
pub struct OpenInvoice {
    pub id: i64,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

pub async fn open_invoice(db: &mut PgConnection, partner: Uuid) -> ApiResult<Option<OpenInvoice>> {
    // An invoice being closed is skipped once its closing commits (its status changed): the
    // next statement sees the invoice that replaced it.
    for _ in 0..3 {
        let row: Option<(i64, DateTime<Utc>, DateTime<Utc>)> = sqlx::query_as(
            "SELECT id, date_billing_period_start, date_billing_period_end FROM invoices
              WHERE partner_sid = $1 AND status = 'open' FOR SHARE",
        )
        .bind(partner)
        .fetch_optional(&mut *db)
        .await?;
        if let Some((id, start, end)) = row {
            return Ok(Some(OpenInvoice { id, start, end }));
        }
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM invoices WHERE partner_sid = $1 AND status = 'open')")
                .bind(partner)
                .fetch_one(&mut *db)
                .await?;
        if !exists {
            break;
        }
    }
    Ok(None)
}

/// Records charges of one partner: each on its line of the open invoice, the total taken from the
/// balance (a prepaid partner falling below `charge_at` is topped up by `prepay_amount`).
pub async fn charge(db: &mut PgConnection, partner: Uuid, charges: &[Charge]) -> ApiResult<()> {
    // One line per kind, in a fixed order (two transactions never wait on each other's lines).
    let mut lines: BTreeMap<LineKey, (i64, Decimal)> = BTreeMap::new();
    let too_large = || ApiError::invalid("amount", "the charges are too large to add up");
    let mut total = Decimal::ZERO;
    for c in charges.iter().filter(|c| !c.amount.is_zero() || c.usage != 0) {
        let line = lines.entry((c.kind, c.direction.clone(), c.country_code.clone())).or_default();
        line.0 = line.0.checked_add(c.usage).ok_or_else(too_large)?;
        line.1 = line.1.checked_add(c.amount).ok_or_else(too_large)?;
        total = total.checked_add(c.amount).ok_or_else(too_large)?;
    }
    if lines.is_empty() {
        return Ok(());
    }
    let Some(invoice) = open_invoice(db, partner).await? else {
        // A deleted partner's last invoice has been issued: nothing more is billed to it.
        tracing::warn!(partner_sid = %partner, "a charge for a partner without an open invoice was dropped");
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO invoice_items (invoice_id, type, direction, country_code, usage, amount,
                                    date_billing_period_start, date_billing_period_end)
         SELECT $1, x.t, x.d, x.c, x.u, x.a, $2, $3
           FROM unnest($4::text[], $5::text[], $6::text[], $7::bigint[], $8::numeric[]) WITH ORDINALITY AS x(t, d, c, u, a, n)
          ORDER BY x.n
         ON CONFLICT (invoice_id, type, direction, country_code)
         DO UPDATE SET usage = invoice_items.usage + EXCLUDED.usage, amount = invoice_items.amount + EXCLUDED.amount",
    )
    .bind(invoice.id)
    .bind(invoice.start)
    .bind(invoice.end)
    .bind(lines.keys().map(|k| k.0).collect::<Vec<_>>())
    .bind(lines.keys().map(|k| k.1.clone()).collect::<Vec<_>>())
    .bind(lines.keys().map(|k| k.2.clone()).collect::<Vec<_>>())
    .bind(lines.values().map(|v| v.0).collect::<Vec<_>>())
    .bind(lines.values().map(|v| v.1).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    let (balance, payment_type, charge_at, prepay): (Decimal, String, Option<Decimal>, Option<Decimal>) =
        sqlx::query_as(
            "UPDATE partners SET balance = balance - $2,
                    daily_spent_amount = CASE WHEN daily_spent_date = (now() AT TIME ZONE 'UTC')::date
                                              THEN daily_spent_amount + $2 ELSE $2 END,
                    daily_spent_date = (now() AT TIME ZONE 'UTC')::date
              WHERE partner_sid = $1 RETURNING balance, payment_type, charge_at, prepay_amount",
        )
        .bind(partner)
        .bind(total)
        .fetch_one(&mut *db)
        .await?;
    // A prepaid account crossing its threshold is topped up once, from its card.
    if let (true, Some(at), Some(amount)) = (payment_type == "prepay", charge_at, prepay) {
        if balance < at && balance + total >= at && amount > Decimal::ZERO {
            let method = billing_method(db, partner).await?;
            let status = if is_card(&method) { "complete" } else { "declined" };
            pay(db, partner, invoice.id, amount, "credit_card_prepay", status, method).await?;
        }
    }
    Ok(())
}

/// Whether a billing method is a card (charged at once), not a check or transfer (awaited).
pub fn is_card(method: &Option<Value>) -> bool {
    method.as_ref().and_then(|m| m["type"].as_str()).is_some_and(|t| CARD_TYPES.contains(&t))
}

/// The kinds of charge a pending charge may have (as stored: a line `type`).
const KINDS: &[&str] = &["did", "did_lookup_carrier", "did_lookup_cnam", "did_lookup_lrn", "toll", "toll_free"];

/// Records charges of a request that writes nothing else (a lookup): one appended row each, no
/// wait on the partner's rows; [`fold_pending`] puts them on the invoice within a second. The
/// commit does not wait for the disk (a crash of PostgreSQL itself may lose the last fraction of a
/// second of them; a crash of the server loses nothing committed).
pub async fn record(pool: &sqlx::PgPool, partner: Uuid, charges: &[Charge]) -> ApiResult<()> {
    if charges.is_empty() {
        return Ok(());
    }
    // One statement, its own transaction; `set_config(..., true)` holds until its commit.
    sqlx::query(
        "INSERT INTO pending_charges (partner_sid, type, direction, country_code, usage, amount)
         SELECT $1, x.* FROM (SELECT set_config('synchronous_commit', 'off', true)) AS s,
                unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::numeric[]) AS x",
    )
    .bind(partner)
    .bind(charges.iter().map(|c| c.kind).collect::<Vec<_>>())
    .bind(charges.iter().map(|c| c.direction.clone()).collect::<Vec<_>>())
    .bind(charges.iter().map(|c| c.country_code.clone()).collect::<Vec<_>>())
    .bind(charges.iter().map(|c| c.usage).collect::<Vec<_>>())
    .bind(charges.iter().map(|c| c.amount).collect::<Vec<_>>())
    .execute(pool)
    .await?;
    Ok(())
}

/// A sum of pending charges: partner, `type`, `direction`, `country_code`, usage, amount.
type PendingRow = (Uuid, String, Option<String>, Option<String>, i64, Decimal);

/// Folds pending charges into invoices and balances (of one partner, or up to 10,000 of any),
/// in the caller's transaction; returns the partners charged. Safe on every instance at once.
pub async fn fold_pending(db: &mut PgConnection, partner: Option<Uuid>) -> ApiResult<Vec<Uuid>> {
    let rows: Vec<PendingRow> = sqlx::query_as(
        "WITH d AS (
            DELETE FROM pending_charges WHERE id IN (
                SELECT id FROM pending_charges WHERE $1::uuid IS NULL OR partner_sid = $1
                 ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED)
            RETURNING partner_sid, type, direction, country_code, usage, amount)
         SELECT partner_sid, type, direction, country_code, SUM(usage)::bigint, SUM(amount)
           FROM d GROUP BY 1, 2, 3, 4 ORDER BY 1",
    )
    .bind(partner)
    .fetch_all(&mut *db)
    .await?;
    let mut by_partner: BTreeMap<Uuid, Vec<Charge>> = BTreeMap::new();
    for (partner, kind, direction, country_code, usage, amount) in rows {
        let Some(kind) = KINDS.iter().find(|k| **k == kind) else { continue };
        by_partner.entry(partner).or_default().push(Charge { kind, direction, country_code, usage, amount });
    }
    for (partner, charges) in &by_partner {
        charge(db, *partner, charges).await?;
    }
    Ok(by_partner.into_keys().collect())
}

/// The partner's billing method as a pay item shows it (no full card or account number), if any.
pub async fn billing_method(db: &mut PgConnection, partner: Uuid) -> ApiResult<Option<Value>> {
    Ok(sqlx::query_scalar(
        "SELECT jsonb_strip_nulls(jsonb_build_object('type', type, 'cc_number_last4', cc_number_last4,
                    'cc_expiration', cc_expiration, 'ec_account_last4', ec_account_last4, 'first_name', first_name,
                    'last_name', last_name))
           FROM billing_methods WHERE partner_sid = $1",
    )
    .bind(partner)
    .fetch_optional(db)
    .await?)
}

/// Records a payment on an invoice; a complete one adds its amount to the partner's balance.
pub async fn pay(
    db: &mut PgConnection,
    partner: Uuid,
    invoice_id: i64,
    amount: Decimal,
    kind: &str,
    status: &str,
    method: Option<Value>,
) -> ApiResult<()> {
    sqlx::query(
        "INSERT INTO invoice_pay_items (pay_item_sid, invoice_id, amount, type, status, billing_method)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::new_v4())
    .bind(invoice_id)
    .bind(amount)
    .bind(kind)
    .bind(status)
    .bind(method)
    .execute(&mut *db)
    .await?;
    if status == "complete" {
        adjust_balance(db, partner, amount).await?;
    }
    Ok(())
}

/// Adds `delta` to the partner's balance (taxes and rounding at issue, payments).
pub async fn adjust_balance(db: &mut PgConnection, partner: Uuid, delta: Decimal) -> ApiResult<()> {
    if delta.is_zero() {
        return Ok(());
    }
    let done = sqlx::query("UPDATE partners SET balance = balance + $2 WHERE partner_sid = $1")
        .bind(partner)
        .bind(delta)
        .execute(db)
        .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::internal("a payment for a partner that does not exist"));
    }
    Ok(())
}
