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

use super::repo::{self, ChargeColumns};
use crate::http::error::{ApiError, ApiResult, FieldError};
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

/// Charges summed by line: usage and amount.
type Lines = BTreeMap<LineKey, (i64, Decimal)>;

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
        if let Some((id, start, end)) = repo::lock_open(&mut *db, partner).await? {
            return Ok(Some(OpenInvoice { id, start, end }));
        }
        if !repo::has_open(&mut *db, partner).await? {
            break;
        }
    }
    Ok(None)
}

/// Records charges of one partner: each on its line of the open invoice, the total taken from the
/// balance (a prepaid partner falling below `charge_at` is topped up by `prepay_amount`).
pub async fn charge(db: &mut PgConnection, partner: Uuid, charges: &[Charge]) -> ApiResult<()> {
    apply(db, partner, charges, true).await
}

/// Charges summed by invoice line (`type`, `direction`, `country_code`), in a fixed order, and
/// their total.
fn lines_of(charges: &[Charge]) -> ApiResult<(Lines, Decimal)> {
    let mut lines = Lines::new();
    let too_large = || ApiError::invalid("amount", "the charges are too large to add up");
    let mut total = Decimal::ZERO;
    for c in charges.iter().filter(|c| !c.amount.is_zero() || c.usage != 0) {
        let line = lines.entry((c.kind, c.direction.clone(), c.country_code.clone())).or_default();
        line.0 = line.0.checked_add(c.usage).ok_or_else(too_large)?;
        line.1 = line.1.checked_add(c.amount).ok_or_else(too_large)?;
        total = total.checked_add(c.amount).ok_or_else(too_large)?;
    }
    Ok((lines, total))
}

fn columns(lines: &Lines) -> ChargeColumns {
    ChargeColumns {
        kinds: lines.keys().map(|k| k.0).collect(),
        directions: lines.keys().map(|k| k.1.clone()).collect(),
        country_codes: lines.keys().map(|k| k.2.clone()).collect(),
        usages: lines.values().map(|v| v.0).collect(),
        amounts: lines.values().map(|v| v.1).collect(),
    }
}

/// Puts charges on their lines of the open invoice; `take`: and takes their total from the
/// balance (with the prepaid top-up). Locks in one order everywhere: the open invoice (shared),
/// its lines, the partner row.
async fn apply(db: &mut PgConnection, partner: Uuid, charges: &[Charge], take: bool) -> ApiResult<()> {
    let (lines, total) = lines_of(charges)?;
    if lines.is_empty() {
        return Ok(());
    }
    let Some(invoice) = open_invoice(db, partner).await? else {
        // A deleted partner's last invoice has been issued: nothing more is billed to it.
        tracing::warn!(partner_sid = %partner, "a charge for a partner without an open invoice was dropped");
        return Ok(());
    };
    repo::add_items(&mut *db, invoice.id, invoice.start, invoice.end, &columns(&lines)).await?;
    if take {
        let after = repo::take_from_balance(&mut *db, partner, total).await?;
        top_up(db, partner, invoice.id, &after, total).await?;
    }
    Ok(())
}

/// A prepaid account crossing its threshold with a charge of `total` is topped up once, from
/// its card.
async fn top_up(
    db: &mut PgConnection,
    partner: Uuid,
    invoice_id: i64,
    after: &repo::BalanceAfter,
    total: Decimal,
) -> ApiResult<()> {
    if let (true, Some(at), Some(amount)) = (after.payment_type == "prepay", after.charge_at, after.prepay_amount) {
        if after.balance < at && after.balance + total >= at && amount > Decimal::ZERO {
            let method = billing_method(db, partner).await?;
            let status = if is_card(&method) { "complete" } else { "declined" };
            pay(db, partner, invoice_id, amount, "credit_card_prepay", status, method).await?;
        }
    }
    Ok(())
}

/// What a partner chooses to spend (messages sent, calls placed), several spends in one
/// transaction (a group commit), decided in order: each is taken from the balance at once if the
/// partner's limits still allow it after those before it (a prepaid `balance` that covers it,
/// `daily_spending_limit`), else refused with a 402 naming the limit; their invoice lines follow
/// within a second (the pending-charges fold). The partner's row is locked for the decision and stays locked to the commit: spends of
/// one partner on every instance take turns, and none overdraws. Answers each spend's outcome.
pub async fn spend_each(db: &mut PgConnection, partner: Uuid, spends: &[&[Charge]]) -> ApiResult<Vec<ApiResult<()>>> {
    let mut outcomes = Vec::with_capacity(spends.len());
    let mut taken: Vec<&Charge> = Vec::new();
    let mut total = Decimal::ZERO;
    let priced: Vec<Decimal> =
        spends.iter().map(|c| lines_of(c).map(|(_, t)| t)).collect::<ApiResult<Vec<Decimal>>>()?;
    if priced.iter().all(|t| t.is_zero()) {
        return Ok(spends.iter().map(|_| Ok(())).collect());
    }
    let Some(s) = repo::lock_spending(db, partner).await? else {
        return Err(ApiError::not_found("partner"));
    };
    for (charges, amount) in spends.iter().zip(priced) {
        let (balance, spent) = (s.balance - total, s.spent_today + total);
        let mut errors = Vec::new();
        if !amount.is_zero() && s.payment_type == "prepay" && balance < amount {
            errors.push(
                FieldError::new(
                    "balance",
                    format!("the prepaid balance ({}) does not cover {}", balance.normalize(), amount.normalize()),
                )
                .with_reference(partner.to_string()),
            );
        }
        if let Some(limit) = s.daily_spending_limit.filter(|_| !amount.is_zero()) {
            if spent + amount > limit {
                errors.push(
                    FieldError::new(
                        "daily_spending_limit",
                        format!(
                            "today's spending ({}) would pass the daily spending limit ({})",
                            spent.normalize(),
                            limit.normalize()
                        ),
                    )
                    .with_reference(partner.to_string()),
                );
            }
        }
        if errors.is_empty() {
            total += amount;
            taken.extend(charges.iter());
            outcomes.push(Ok(()));
        } else {
            outcomes.push(Err(ApiError::PaymentRequired(errors)));
        }
    }
    let taken: Vec<Charge> = taken.into_iter().cloned().collect();
    let (lines, _) = lines_of(&taken)?;
    if !lines.is_empty() {
        let after = repo::take_from_balance(&mut *db, partner, total).await?;
        repo::insert_pending(&mut *db, partner, &columns(&lines), true, true).await?;
        if after.payment_type == "prepay" && after.charge_at.is_some() {
            if let Some(invoice) = open_invoice(db, partner).await? {
                top_up(db, partner, invoice.id, &after, total).await?;
            }
        }
    }
    Ok(outcomes)
}

/// Charges that follow from what others did (a message received), in the caller's transaction
/// without touching the partner's rows: balance and invoice lines follow within a second.
pub async fn defer(db: &mut PgConnection, partner: Uuid, charges: &[Charge]) -> ApiResult<()> {
    let (lines, _) = lines_of(charges)?;
    if lines.is_empty() {
        return Ok(());
    }
    repo::insert_pending(&mut *db, partner, &columns(&lines), false, true).await?;
    Ok(())
}

/// Whether a billing method is a card (charged at once), not a check or transfer (awaited).
pub fn is_card(method: &Option<Value>) -> bool {
    method.as_ref().and_then(|m| m["type"].as_str()).is_some_and(|t| CARD_TYPES.contains(&t))
}

/// The kinds of charge a pending charge may have (as stored: a line `type`).
const KINDS: &[&str] =
    &["did", "did_lookup_carrier", "did_lookup_cnam", "did_lookup_lrn", "mms", "sms", "toll", "toll_free"];

/// Records charges of a request that writes nothing else (a lookup): one appended row each, no
/// wait on the partner's rows; [`fold_pending`] puts them on the invoice within a second. The
/// commit does not wait for the disk (a crash of PostgreSQL itself may lose the last fraction of a
/// second of them; a crash of the server loses nothing committed).
pub async fn record(pool: &sqlx::PgPool, partner: Uuid, charges: &[Charge]) -> ApiResult<()> {
    let (lines, _) = lines_of(charges)?;
    if lines.is_empty() {
        return Ok(());
    }
    repo::insert_pending(pool, partner, &columns(&lines), false, false).await?;
    Ok(())
}

/// Folds pending charges into invoices and balances (of one partner, or up to 10,000 of any),
/// in the caller's transaction; returns the partners charged. Safe on every instance at once.
pub async fn fold_pending(db: &mut PgConnection, partner: Option<Uuid>) -> ApiResult<Vec<Uuid>> {
    let rows = repo::take_pending(&mut *db, partner).await?;
    // Per partner: the charges still to take from the balance, and those taken already.
    let mut by_partner: BTreeMap<Uuid, (Vec<Charge>, Vec<Charge>)> = BTreeMap::new();
    for (partner, kind, direction, country_code, usage, amount, taken) in rows {
        let Some(kind) = KINDS.iter().find(|k| **k == kind) else { continue };
        let entry = by_partner.entry(partner).or_default();
        let list = if taken { &mut entry.1 } else { &mut entry.0 };
        list.push(Charge { kind, direction, country_code, usage, amount });
    }
    for (partner, (to_take, taken)) in &by_partner {
        apply(db, *partner, to_take, true).await?;
        apply(db, *partner, taken, false).await?;
    }
    Ok(by_partner.into_keys().collect())
}

/// The partner's billing method as a pay item shows it (no full card or account number), if any.
pub async fn billing_method(db: &mut PgConnection, partner: Uuid) -> ApiResult<Option<Value>> {
    Ok(repo::billing_method(db, partner).await?)
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
    repo::insert_pay_item(&mut *db, invoice_id, amount, kind, status, method).await?;
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
    if !repo::add_to_balance(db, partner, delta).await? {
        return Err(ApiError::internal("a payment for a partner that does not exist"));
    }
    Ok(())
}
