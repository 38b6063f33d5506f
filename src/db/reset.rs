//! The database-wide statements of a reset (`crate::reset`): the data tables emptied, every
//! partner, login and token but the root partner's gone, the root partner's settings restored and
//! its first invoice opened; and the lock that bootstrap and reset take one at a time.

use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::RepoResult;

/// The data tables, emptied outright (no row triggers: caches are dropped by the notification).
const DATA: &[&str] = &[
    "storage_chunks",
    "storage_files",
    "storage_containers",
    "push_deliveries",
    "push_devices",
    "push_applications",
    "shortener_links",
    "shortener_domains",
    "active_calls",
    "trunk_group_turns",
    "conference_calls",
    "callbacks",
    "verification_emails",
    "messages",
    "batch_items",
    "batch_tasks",
    "invoice_tax_items",
    "invoice_pay_items",
    "invoice_items",
    "pending_charges",
    "invoices",
    "call_drs",
    "rate_plan_assignments",
    "rate_plan_items",
    "rate_plans",
    "lookup_lrns",
    "lookup_cnams",
    "access_control_rules",
    "mail_outbox",
    "email_verifications",
    "billing_methods",
    "local_markers",
    "short_codes",
    "prefixes",
    "dids",
    "did_groups",
    "trunks",
    "trunk_groups",
    "endpoints",
];

/// Takes the lock of bootstrap and reset until the transaction ends.
pub async fn lock_bootstrap(db: &mut PgConnection) -> RepoResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('carrierx_bootstrap'))").execute(db).await?;
    Ok(())
}

/// Empties the data tables (reference data such as countries and tax rates stays) and seeds the
/// reference rate plans again (migration 0011).
pub async fn truncate_data(db: &mut PgConnection) -> RepoResult<()> {
    sqlx::query(&format!("TRUNCATE {}", DATA.join(", "))).execute(&mut *db).await?;
    sqlx::query("SELECT carrierx_seed_default_rates()").execute(db).await?;
    Ok(())
}

/// The token whose access token hashes to `hash`, if any.
pub async fn token_by_hash(db: &mut PgConnection, hash: &[u8]) -> RepoResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT token_sid FROM oauth_tokens WHERE access_token_hash = $1")
        .bind(hash)
        .fetch_optional(db)
        .await?)
}

/// The partner's first token (by creation), if any.
pub async fn first_token(db: &mut PgConnection, partner: Uuid) -> RepoResult<Option<Uuid>> {
    Ok(sqlx::query_scalar(
        "SELECT token_sid FROM oauth_tokens WHERE partner_sid = $1 ORDER BY date_created, token_sid LIMIT 1",
    )
    .bind(partner)
    .fetch_optional(db)
    .await?)
}

/// Deletes every token but `keep`, every login but the root partner's own, every partner but the root.
pub async fn keep_only_root(db: &mut PgConnection, root: Uuid, keep: Option<Uuid>) -> RepoResult<()> {
    sqlx::query("DELETE FROM oauth_tokens WHERE token_sid IS DISTINCT FROM $1").bind(keep).execute(&mut *db).await?;
    sqlx::query("DELETE FROM credentials WHERE partner_sid <> $1 OR login_sid IS NOT NULL")
        .bind(root)
        .execute(&mut *db)
        .await?;
    sqlx::query("DELETE FROM partners WHERE partner_sid <> $1").bind(root).execute(&mut *db).await?;
    Ok(())
}

/// Puts the root partner's settings back to their defaults (an active postpaid account with the
/// given balance and limits, nothing spent).
pub async fn restore_root<'e>(
    db: impl PgExecutor<'e>,
    root: Uuid,
    balance: Decimal,
    spending_limit: Decimal,
    daily_spending_limit: Decimal,
) -> RepoResult<()> {
    sqlx::query(
        "UPDATE partners SET name = 'Root', company_name = 'carrierx-core', attributes = '{}', callbacks = '{}',
                acls = '[]', parent_assigned_acls = '[]', transformations = '[]', balance = $2, charge_at = NULL,
                prepay_amount = NULL, spending_limit = $3, daily_spending_limit = $4, daily_spent_amount = 0,
                daily_spent_date = NULL, payment_type = 'postpay', status = 'active'
          WHERE partner_sid = $1",
    )
    .bind(root)
    .bind(balance)
    .bind(spending_limit)
    .bind(daily_spending_limit)
    .execute(db)
    .await?;
    Ok(())
}

/// Opens the root partner's first invoice: the current period of its schedule, the balance owed
/// as its previous balance.
pub async fn open_first_invoice<'e>(db: impl PgExecutor<'e>, root: Uuid) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO invoices (invoice_sid, partner_sid, seq, balance_previous, date_billing_period_start, date_billing_period_end)
         SELECT gen_random_uuid(), p.partner_sid, 1, -p.balance,
                billing_period_start(date_trunc('day', p.date_created, 'UTC'), now()),
                billing_period_end(date_trunc('day', p.date_created, 'UTC'), now())
           FROM partners p WHERE p.partner_sid = $1",
    )
    .bind(root)
    .execute(db)
    .await?;
    Ok(())
}

/// Sends `reset` on `channel` when the transaction commits (every instance drops its caches).
pub async fn notify_reset<'e>(db: impl PgExecutor<'e>, channel: &str) -> RepoResult<()> {
    sqlx::query("SELECT pg_notify($1, 'reset')").bind(channel).execute(db).await?;
    Ok(())
}
