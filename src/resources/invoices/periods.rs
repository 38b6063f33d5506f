//! Billing periods: an open invoice whose period has ended is issued, and the partner's next
//! invoice opens, in one transaction:
//! 1. each line is rounded to the cent (what rounding takes off goes back to the balance);
//! 2. the taxes of the tax table are computed on the rounded lines and charged;
//! 3. what is owed (`balance_previous + amount + amount_tax − payments`) is settled by the
//!    partner's billing method: a card is charged (a `credit_card` pay item; `complete`),
//!    a check, electronic check or wire is awaited (`pending`), no method is `declined`; nothing
//!    owed is `complete`;
//! 4. the next invoice opens with `balance_previous` = this one's `balance_forward`, and the
//!    numbers the partner rents are charged their monthly price on it.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use super::accrual::{self, Charge};
use super::repo::{self, InvoiceRow};
use crate::http::error::ApiResult;

/// Issues `invoice` (locked by the caller). `now`: the period is closed early, at this instant.
pub async fn close(db: &mut PgConnection, invoice: &InvoiceRow, now: Option<DateTime<Utc>>) -> ApiResult<()> {
    let partner = invoice.partner_sid;
    // Closed early: the period ends now (never before it started).
    let period_end = match now {
        Some(t) => t.duration_trunc(TimeDelta::seconds(1)).unwrap_or(t).max(invoice.date_billing_period_start),
        None => invoice.date_billing_period_end,
    };
    // The period's pending charges first.
    accrual::fold_pending(db, Some(partner)).await?;
    let rounding = repo::round_items(db, invoice.id).await?;
    let taxes = repo::apply_taxes(db, invoice.id).await?;
    accrual::adjust_balance(db, partner, rounding - taxes).await?;
    let owed = repo::owed(db, invoice.id).await?;
    let (status, due, charged) = if owed <= Decimal::ZERO {
        ("complete", Decimal::ZERO, false)
    } else {
        let method = accrual::billing_method(db, partner).await?;
        if accrual::is_card(&method) {
            accrual::pay(db, partner, invoice.id, owed, "credit_card", "complete", method).await?;
            ("complete", Decimal::ZERO, true)
        } else if method.is_some() {
            ("pending", owed, false)
        } else {
            ("declined", owed, false)
        }
    };
    repo::issue(db, invoice.id, status, due, charged, period_end).await?;
    if repo::partner_status(db, partner).await? == "deleted" {
        return Ok(());
    }
    let forward = repo::owed(db, invoice.id).await?;
    repo::open_next(db, partner, invoice.seq + 1, forward, period_end).await?;
    charge_rentals(db, partner).await
}

/// Charges the monthly price of every number the partner rents to its open invoice.
pub async fn charge_rentals(db: &mut PgConnection, partner: Uuid) -> ApiResult<()> {
    let charges: Vec<Charge> = repo::rentals(db, partner)
        .await?
        .into_iter()
        .map(|(country, n, price)| Charge {
            kind: "did",
            direction: None,
            country_code: country,
            usage: n,
            amount: price,
        })
        .collect();
    accrual::charge(db, partner, &charges).await
}

/// Issues one invoice whose period has ended, if any (several instances at once: each takes a
/// different one); returns its partner. An invoice that fails to close is recorded as such and
/// waits behind the others, so one bad row never stops the rest.
pub async fn close_due(pool: &sqlx::PgPool) -> ApiResult<Option<Uuid>> {
    let mut tx = pool.begin().await?;
    let Some(row) = repo::lock_due(&mut tx, None).await? else { return Ok(None) };
    if let Err(e) = close(&mut tx, &row, None).await {
        tx.rollback().await?;
        tracing::error!(invoice_sid = %row.invoice_sid, error = ?e, "cannot issue an invoice; will retry later");
        repo::close_failed(pool, row.id, &format!("{e:?}")).await?;
        return Err(e);
    }
    tx.commit().await?;
    tracing::info!(invoice_sid = %row.invoice_sid, partner_sid = %row.partner_sid, "invoice issued");
    Ok(Some(row.partner_sid))
}
