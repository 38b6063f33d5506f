use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Invoice, InvoiceItem, PayItem, TaxItem};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::money::Money;

const COLUMNS: &str = "i.id, i.invoice_sid, i.partner_sid, i.seq, i.status, i.amount_due, i.balance_previous, \
    i.date_billing_period_start, i.date_billing_period_end, i.date_charged, i.date_issued, i.date_created, p.tree_path";
const FROM: &str = "invoices i JOIN partners p ON p.partner_sid = i.partner_sid";

const AMOUNT: &str = "(SELECT COALESCE(SUM(x.amount), 0) FROM invoice_items x WHERE x.invoice_id = i.id)";
const AMOUNT_TAX: &str = "(SELECT COALESCE(SUM(x.amount), 0) FROM invoice_tax_items x WHERE x.invoice_id = i.id)";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct InvoiceRow {
    pub id: i64,
    pub invoice_sid: Uuid,
    pub partner_sid: Uuid,
    pub seq: i32,
    pub status: String,
    pub amount_due: Decimal,
    pub balance_previous: Decimal,
    pub date_billing_period_start: DateTime<Utc>,
    pub date_billing_period_end: DateTime<Utc>,
    pub date_charged: Option<DateTime<Utc>>,
    pub date_issued: Option<DateTime<Utc>>,
    pub date_created: DateTime<Utc>,
    pub tree_path: String,
}

/// The lines of some invoices.
#[derive(Default)]
pub struct Lines {
    pub items: HashMap<i64, Vec<InvoiceItem>>,
    pub pay: HashMap<i64, Vec<PayItem>>,
    pub tax: HashMap<i64, Vec<TaxItem>>,
}

impl InvoiceRow {
    pub fn to_wire(&self, lines: &mut Lines) -> Invoice {
        let items = lines.items.remove(&self.id).unwrap_or_default();
        let pay_items = lines.pay.remove(&self.id).unwrap_or_default();
        let tax_items = lines.tax.remove(&self.id).unwrap_or_default();
        let amount: Decimal = items.iter().map(|x| x.amount.0).sum();
        let amount_tax: Decimal = tax_items.iter().map(|x| x.amount.0).sum();
        let paid: Decimal = pay_items.iter().filter(|x| x.status == "complete").map(|x| x.amount.0).sum();
        Invoice {
            amount: Money(amount),
            amount_due: Money(self.amount_due),
            amount_tax: Money(amount_tax),
            balance_forward: Money(self.balance_previous + amount + amount_tax - paid),
            balance_previous: Money(self.balance_previous),
            date_billing_period_end: self.date_billing_period_end.into(),
            date_billing_period_start: self.date_billing_period_start.into(),
            date_charge_expected: self.date_billing_period_end.into(),
            date_charged: self.date_charged.map(Into::into),
            date_created: self.date_created.into(),
            date_issued: self.date_issued.map(Into::into),
            display_id: format!("{:03}", self.seq),
            invoice_items: items,
            invoice_sid: self.invoice_sid,
            paid: self.status == "complete",
            partner: None,
            partner_sid: self.partner_sid,
            pay_items,
            status: self.status.clone(),
            tax_items,
        }
    }
}

crate::resources::shared::owned_rows!(InvoiceRow);

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("amount", AMOUNT, T::Decimal),
        Field::new("amount_due", "i.amount_due", T::Decimal),
        Field::new("amount_tax", AMOUNT_TAX, T::Decimal),
        Field::new("balance_previous", "i.balance_previous", T::Decimal),
        Field::new("date_billing_period_end", "i.date_billing_period_end", T::Timestamp),
        Field::new("date_billing_period_start", "i.date_billing_period_start", T::Timestamp),
        Field::new("date_charge_expected", "i.date_billing_period_end", T::Timestamp),
        Field::new("date_charged", "i.date_charged", T::Timestamp),
        Field::new("date_created", "i.date_created", T::Timestamp),
        Field::new("date_issued", "i.date_issued", T::Timestamp),
        Field::new("display_id", "lpad(i.seq::text, 3, '0')", T::Text),
        Field::new("invoice_sid", "i.invoice_sid", T::Uuid),
        Field::new("paid", "(i.status = 'complete')", T::Bool),
        Field::new("partner_sid", "i.partner_sid", T::Uuid),
        Field::new("status", "i.status", T::Text),
    ],
    sid: "i.invoice_sid",
    default_order: "i.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<InvoiceRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<InvoiceRow, _>(db, &LIST, q, COLUMNS, FROM, &move |qb| {
        qb.push(" AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<InvoiceRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE i.invoice_sid = $1"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    invoice_id: i64,
    amount: Decimal,
    country_code: Option<String>,
    date_billing_period_end: DateTime<Utc>,
    date_billing_period_start: DateTime<Utc>,
    direction: Option<String>,
    #[sqlx(rename = "type")]
    kind: String,
    usage: i64,
}

#[derive(sqlx::FromRow)]
struct PayRow {
    invoice_id: i64,
    amount: Decimal,
    billing_method: Option<Value>,
    check_number: Option<String>,
    date_charged: DateTime<Utc>,
    pay_item_sid: Uuid,
    status: String,
    #[sqlx(rename = "type")]
    kind: String,
}

#[derive(sqlx::FromRow)]
struct TaxRow {
    invoice_id: i64,
    amount: Decimal,
    jurisdiction: String,
    #[sqlx(rename = "type")]
    kind: String,
}

/// The items, pay items and tax items of some invoices: three queries, whatever their number.
pub async fn lines(db: &mut PgConnection, ids: &[i64]) -> RepoResult<Lines> {
    let mut out = Lines::default();
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT invoice_id, amount, country_code, date_billing_period_end, date_billing_period_start, direction, type, usage
           FROM invoice_items WHERE invoice_id = ANY($1)
          ORDER BY invoice_id, type, direction NULLS FIRST, country_code NULLS FIRST",
    )
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    for r in items {
        out.items.entry(r.invoice_id).or_default().push(InvoiceItem {
            amount: Money(r.amount),
            country_code: r.country_code,
            date_billing_period_end: r.date_billing_period_end.into(),
            date_billing_period_start: r.date_billing_period_start.into(),
            direction: r.direction,
            kind: r.kind,
            usage: r.usage,
        });
    }
    let pays: Vec<PayRow> = sqlx::query_as(
        "SELECT invoice_id, amount, billing_method, check_number, date_charged, pay_item_sid, status, type
           FROM invoice_pay_items WHERE invoice_id = ANY($1) ORDER BY invoice_id, id",
    )
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    for r in pays {
        out.pay.entry(r.invoice_id).or_default().push(PayItem {
            amount: Money(r.amount),
            billing_method: r.billing_method,
            check_number: r.check_number,
            date_charged: r.date_charged.into(),
            pay_item_sid: r.pay_item_sid,
            status: r.status,
            kind: r.kind,
        });
    }
    let taxes: Vec<TaxRow> = sqlx::query_as(
        "SELECT invoice_id, amount, jurisdiction, type FROM invoice_tax_items WHERE invoice_id = ANY($1) ORDER BY invoice_id, id",
    )
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    for r in taxes {
        out.tax.entry(r.invoice_id).or_default().push(TaxItem {
            amount: Money(r.amount),
            jurisdiction: r.jurisdiction,
            kind: r.kind,
        });
    }
    Ok(out)
}

// ---- Closing a period ---------------------------------------------------------------------------

/// An open invoice whose period has ended (or the given partner's, closed now), locked; invoices
/// locked by another closer are skipped.
pub async fn lock_due(db: &mut PgConnection, partner: Option<Uuid>) -> RepoResult<Option<InvoiceRow>> {
    let cond = match partner {
        Some(_) => "i.partner_sid = $1",
        None => "i.date_billing_period_end < now() AND $1::uuid IS NULL",
    };
    let skip = if partner.is_some() { "" } else { " SKIP LOCKED" };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE i.status = 'open' AND {cond}
          ORDER BY i.close_attempts, i.date_billing_period_end LIMIT 1 FOR UPDATE OF i{skip}"
    ))
    .bind(partner)
    .fetch_optional(db)
    .await?)
}

/// Rounds the invoice's lines to the cent (half away from zero); returns what rounding took off.
pub async fn round_items(db: &mut PgConnection, invoice_id: i64) -> RepoResult<Decimal> {
    let delta: Option<Decimal> =
        sqlx::query_scalar("SELECT SUM(amount - round(amount, 2)) FROM invoice_items WHERE invoice_id = $1")
            .bind(invoice_id)
            .fetch_one(&mut *db)
            .await?;
    sqlx::query(
        "UPDATE invoice_items SET amount = round(amount, 2) WHERE invoice_id = $1 AND amount <> round(amount, 2)",
    )
    .bind(invoice_id)
    .execute(db)
    .await?;
    Ok(delta.unwrap_or_default())
}

/// Writes the taxes of an invoice from the tax table; returns their total.
pub async fn apply_taxes(db: &mut PgConnection, invoice_id: i64) -> RepoResult<Decimal> {
    let total: Option<Decimal> = sqlx::query_scalar(
        "WITH t AS (
            INSERT INTO invoice_tax_items (invoice_id, jurisdiction, type, amount)
            SELECT $1, r.jurisdiction, r.type, round(SUM(x.amount) * r.rate, 2)
              FROM tax_rates r JOIN invoice_items x
                ON x.invoice_id = $1 AND x.type = ANY(r.applies_to)
               AND (r.country_code IS NULL OR x.country_code = r.country_code)
             GROUP BY r.id, r.jurisdiction, r.type, r.rate
            HAVING round(SUM(x.amount) * r.rate, 2) <> 0
             ORDER BY r.id
            RETURNING amount)
         SELECT SUM(amount) FROM t",
    )
    .bind(invoice_id)
    .fetch_one(db)
    .await?;
    Ok(total.unwrap_or_default())
}

/// What is owed on an invoice: previous balance, items and taxes, less what was paid.
pub async fn owed(db: &mut PgConnection, invoice_id: i64) -> RepoResult<Decimal> {
    Ok(sqlx::query_scalar(
        "SELECT i.balance_previous
                + (SELECT COALESCE(SUM(amount), 0) FROM invoice_items WHERE invoice_id = i.id)
                + (SELECT COALESCE(SUM(amount), 0) FROM invoice_tax_items WHERE invoice_id = i.id)
                - (SELECT COALESCE(SUM(amount), 0) FROM invoice_pay_items WHERE invoice_id = i.id AND status = 'complete')
           FROM invoices i WHERE i.id = $1",
    )
    .bind(invoice_id)
    .fetch_one(db)
    .await?)
}

/// Issues an invoice: its status, what is still due, when it was charged, its period's end.
pub async fn issue(
    db: &mut PgConnection,
    invoice_id: i64,
    status: &str,
    amount_due: Decimal,
    charged: bool,
    period_end: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query(
        "UPDATE invoices SET status = $2, amount_due = $3, date_billing_period_end = $4,
                date_issued = date_trunc('milliseconds', now()),
                date_charged = CASE WHEN $5 THEN date_trunc('milliseconds', now()) END
          WHERE id = $1",
    )
    .bind(invoice_id)
    .bind(status)
    .bind(amount_due)
    .bind(period_end)
    .bind(charged)
    .execute(&mut *db)
    .await?;
    sqlx::query("UPDATE invoice_items SET date_billing_period_end = $2 WHERE invoice_id = $1")
        .bind(invoice_id)
        .bind(period_end)
        .execute(db)
        .await?;
    Ok(())
}

/// Opens the partner's next invoice: from `previous_end` to the end of that period of the
/// partner's schedule (a month from its creation day: see `billing_period_end`).
pub async fn open_next(
    db: &mut PgConnection,
    partner: Uuid,
    seq: i32,
    balance_previous: Decimal,
    previous_end: DateTime<Utc>,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO invoices (invoice_sid, partner_sid, seq, balance_previous, date_billing_period_start, date_billing_period_end)
         SELECT $1, p.partner_sid, $3, $4, $5 + interval '1 second',
                billing_period_end(date_trunc('day', p.date_created, 'UTC'), $5 + interval '1 second')
           FROM partners p WHERE p.partner_sid = $2",
    )
    .bind(Uuid::new_v4())
    .bind(partner)
    .bind(seq)
    .bind(balance_previous)
    .bind(previous_end)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt to issue an invoice: it goes behind the others.
pub async fn close_failed<'e>(db: impl PgExecutor<'e>, invoice_id: i64, error: &str) -> RepoResult<()> {
    sqlx::query("UPDATE invoices SET close_attempts = close_attempts + 1, close_error = $2 WHERE id = $1")
        .bind(invoice_id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// The partner's rented numbers by country: how many, and their monthly prices' sum.
pub async fn rentals(db: &mut PgConnection, partner: Uuid) -> RepoResult<Vec<(Option<String>, i64, Decimal)>> {
    Ok(sqlx::query_as(
        "SELECT country_code, COUNT(*), SUM(price) FROM dids WHERE partner_sid = $1 AND status = 'assigned'
          GROUP BY country_code ORDER BY country_code",
    )
    .bind(partner)
    .fetch_all(db)
    .await?)
}

pub async fn partner_status(db: &mut PgConnection, partner: Uuid) -> RepoResult<String> {
    Ok(sqlx::query_scalar("SELECT status FROM partners WHERE partner_sid = $1").bind(partner).fetch_one(db).await?)
}

// ---- Accrual: the statements of `accrual` (its rules stay there) --------------------------------

/// The partner's open invoice (id, period start, period end), locked `FOR SHARE` against closing.
pub async fn lock_open(
    db: &mut PgConnection,
    partner: Uuid,
) -> RepoResult<Option<(i64, DateTime<Utc>, DateTime<Utc>)>> {
    Ok(sqlx::query_as(
        "SELECT id, date_billing_period_start, date_billing_period_end FROM invoices
          WHERE partner_sid = $1 AND status = 'open' FOR SHARE",
    )
    .bind(partner)
    .fetch_optional(db)
    .await?)
}

/// Whether the partner has an open invoice (one being closed by another transaction included).
pub async fn has_open(db: &mut PgConnection, partner: Uuid) -> RepoResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM invoices WHERE partner_sid = $1 AND status = 'open')")
        .bind(partner)
        .fetch_one(db)
        .await?)
}

/// Charges column by column (`type`, `direction`, `country_code`, usage, amount), one entry per
/// charge, written in this order.
#[derive(Default)]
pub struct ChargeColumns {
    pub kinds: Vec<&'static str>,
    pub directions: Vec<Option<String>>,
    pub country_codes: Vec<Option<String>>,
    pub usages: Vec<i64>,
    pub amounts: Vec<Decimal>,
}

/// Adds charges to their lines of an invoice (a line grows when it exists), in the given order.
pub async fn add_items(
    db: &mut PgConnection,
    invoice_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    lines: &ChargeColumns,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO invoice_items (invoice_id, type, direction, country_code, usage, amount,
                                    date_billing_period_start, date_billing_period_end)
         SELECT $1, x.t, x.d, x.c, x.u, x.a, $2, $3
           FROM unnest($4::text[], $5::text[], $6::text[], $7::bigint[], $8::numeric[]) WITH ORDINALITY AS x(t, d, c, u, a, n)
          ORDER BY x.n
         ON CONFLICT (invoice_id, type, direction, country_code)
         DO UPDATE SET usage = invoice_items.usage + EXCLUDED.usage, amount = invoice_items.amount + EXCLUDED.amount",
    )
    .bind(invoice_id)
    .bind(start)
    .bind(end)
    .bind(&lines.kinds)
    .bind(&lines.directions)
    .bind(&lines.country_codes)
    .bind(&lines.usages)
    .bind(&lines.amounts)
    .execute(db)
    .await?;
    Ok(())
}

/// A partner's balance after a charge, with what decides a prepaid top-up.
#[derive(sqlx::FromRow)]
pub struct BalanceAfter {
    pub balance: Decimal,
    pub payment_type: String,
    pub charge_at: Option<Decimal>,
    pub prepay_amount: Option<Decimal>,
}

/// Takes `total` from the partner's balance and adds it to today's `daily_spent_amount`.
/// What a partner may still spend.
#[derive(Debug, sqlx::FromRow)]
pub struct Spending {
    pub balance: Decimal,
    pub payment_type: String,
    pub daily_spending_limit: Option<Decimal>,
    /// Spent today (UTC): `daily_spent_amount` when it is today's.
    pub spent_today: Decimal,
}

/// Locked until the transaction ends: spends decided on these values cannot overdraw.
pub async fn lock_spending(db: &mut PgConnection, partner: Uuid) -> RepoResult<Option<Spending>> {
    Ok(sqlx::query_as(
        "SELECT balance, payment_type, daily_spending_limit,
                CASE WHEN daily_spent_date = (now() AT TIME ZONE 'UTC')::date THEN daily_spent_amount ELSE 0 END
                  AS spent_today
           FROM partners WHERE partner_sid = $1 FOR UPDATE",
    )
    .bind(partner)
    .fetch_optional(db)
    .await?)
}

pub async fn take_from_balance(db: &mut PgConnection, partner: Uuid, total: Decimal) -> RepoResult<BalanceAfter> {
    Ok(sqlx::query_as(
        "UPDATE partners SET balance = balance - $2,
                daily_spent_amount = CASE WHEN daily_spent_date = (now() AT TIME ZONE 'UTC')::date
                                          THEN daily_spent_amount + $2 ELSE $2 END,
                daily_spent_date = (now() AT TIME ZONE 'UTC')::date
          WHERE partner_sid = $1 RETURNING balance, payment_type, charge_at, prepay_amount",
    )
    .bind(partner)
    .bind(total)
    .fetch_one(db)
    .await?)
}

/// Appends charges to `pending_charges` in one statement. `balance_taken`: their total has been
/// taken from the balance already (the fold puts them on the invoice lines only). `durable: false`
/// (a statement that is its own transaction): its commit does not wait for the disk
/// (`set_config(..., true)` holds until that commit).
pub async fn insert_pending<'e>(
    db: impl PgExecutor<'e>,
    partner: Uuid,
    charges: &ChargeColumns,
    balance_taken: bool,
    durable: bool,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO pending_charges (partner_sid, type, direction, country_code, usage, amount, balance_taken)
         SELECT $1, x.*, $7
           FROM (SELECT CASE WHEN $8 THEN NULL ELSE set_config('synchronous_commit', 'off', true) END) AS s,
                unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::numeric[]) AS x",
    )
    .bind(partner)
    .bind(&charges.kinds)
    .bind(&charges.directions)
    .bind(&charges.country_codes)
    .bind(&charges.usages)
    .bind(&charges.amounts)
    .bind(balance_taken)
    .bind(durable)
    .execute(db)
    .await?;
    Ok(())
}

/// A sum of pending charges: partner, `type`, `direction`, `country_code`, usage, amount, and
/// whether its amount was taken from the balance already.
pub type PendingRow = (Uuid, String, Option<String>, Option<String>, i64, Decimal, bool);

/// Deletes up to 10,000 pending charges (of one partner, or of any) that no other transaction
/// holds, and answers their sums by partner and line, ordered by partner.
pub async fn take_pending(db: &mut PgConnection, partner: Option<Uuid>) -> RepoResult<Vec<PendingRow>> {
    Ok(sqlx::query_as(
        "WITH d AS (
            DELETE FROM pending_charges WHERE id IN (
                SELECT id FROM pending_charges WHERE $1::uuid IS NULL OR partner_sid = $1
                 ORDER BY id LIMIT 10000 FOR UPDATE SKIP LOCKED)
            RETURNING partner_sid, type, direction, country_code, usage, amount, balance_taken)
         SELECT partner_sid, type, direction, country_code, SUM(usage)::bigint, SUM(amount), balance_taken
           FROM d GROUP BY 1, 2, 3, 4, 7 ORDER BY 1",
    )
    .bind(partner)
    .fetch_all(db)
    .await?)
}

/// The partner's billing method as a pay item shows it (no full card or account number), if any.
pub async fn billing_method(db: &mut PgConnection, partner: Uuid) -> RepoResult<Option<Value>> {
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

/// Inserts a pay item (a new sid) on an invoice.
pub async fn insert_pay_item(
    db: &mut PgConnection,
    invoice_id: i64,
    amount: Decimal,
    kind: &str,
    status: &str,
    method: Option<Value>,
) -> RepoResult<()> {
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
    .execute(db)
    .await?;
    Ok(())
}

/// Adds `delta` to the partner's balance; whether the partner exists.
pub async fn add_to_balance(db: &mut PgConnection, partner: Uuid, delta: Decimal) -> RepoResult<bool> {
    let done = sqlx::query("UPDATE partners SET balance = balance + $2 WHERE partner_sid = $1")
        .bind(partner)
        .bind(delta)
        .execute(db)
        .await?;
    Ok(done.rows_affected() > 0)
}
