//! Reset: the database back to its bootstrap state in one transaction, without re-migrating —
//! the root partner (its settings back to their defaults, its configured password), the OAuth
//! clients, the root partner's token (the configured one, else the first), its System Gateway and
//! a new open invoice; everything else gone. Reference data (countries, tax rates) stays. Every
//! instance drops its caches (a `reset` notification). `carrierx-core reset` and, when
//! `CARRIERX_ALLOW_RESET` is on, `POST /core/v2/admin/reset` call it.

use uuid::Uuid;

use crate::domain::secrets;
use crate::http::error::{ApiError, ApiResult};
use crate::jobs::CACHE_CHANNEL;
use crate::state::AppState;

/// The data tables, emptied outright (no row triggers: caches are dropped by the notification).
const DATA: &[&str] = &[
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
    "prefixes",
    "dids",
    "did_groups",
    "trunks",
    "trunk_groups",
    "endpoints",
];

pub async fn reset(state: &AppState) -> ApiResult<()> {
    let (pool, config) = (&state.pool, &*state.config);
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('carrierx_bootstrap'))").execute(&mut *tx).await?;
    let root: Option<Uuid> =
        sqlx::query_scalar("SELECT partner_sid FROM partners WHERE parent_sid IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(&mut *tx)
            .await?;
    let Some(root) = root else {
        return Err(ApiError::internal("no root partner: the database was never bootstrapped"));
    };
    sqlx::query(&format!("TRUNCATE {}", DATA.join(", "))).execute(&mut *tx).await?;
    // The root partner's token: the configured one, else the first one made (the bootstrap's).
    let keep: Option<Uuid> =
        match config.root_token.expose() {
            Some(t) => {
                sqlx::query_scalar("SELECT token_sid FROM oauth_tokens WHERE access_token_hash = $1")
                    .bind(secrets::sha256(t.as_bytes()).to_vec())
                    .fetch_optional(&mut *tx)
                    .await?
            }
            None => sqlx::query_scalar(
                "SELECT token_sid FROM oauth_tokens WHERE partner_sid = $1 ORDER BY date_created, token_sid LIMIT 1",
            )
            .bind(root)
            .fetch_optional(&mut *tx)
            .await?,
        };
    sqlx::query("DELETE FROM oauth_tokens WHERE token_sid IS DISTINCT FROM $1").bind(keep).execute(&mut *tx).await?;
    sqlx::query("DELETE FROM credentials WHERE partner_sid <> $1 OR login_sid IS NOT NULL")
        .bind(root)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM partners WHERE partner_sid <> $1").bind(root).execute(&mut *tx).await?;
    let d = &config.partner_defaults;
    sqlx::query(
        "UPDATE partners SET name = 'Root', company_name = 'carrierx-core', attributes = '{}', callbacks = '{}',
                acls = '[]', parent_assigned_acls = '[]', transformations = '[]', balance = $2, charge_at = NULL,
                prepay_amount = NULL, spending_limit = $3, daily_spending_limit = $4, daily_spent_amount = 0,
                daily_spent_date = NULL, payment_type = 'postpay', status = 'active'
          WHERE partner_sid = $1",
    )
    .bind(root)
    .bind(d.balance)
    .bind(d.spending_limit)
    .bind(d.daily_spending_limit)
    .execute(&mut *tx)
    .await?;
    if let Some(password) = config.root_password.expose() {
        sqlx::query("UPDATE credentials SET password_hash = $2 WHERE partner_sid = $1 AND login_sid IS NULL")
            .bind(root)
            .bind(secrets::hash_password(password))
            .execute(&mut *tx)
            .await?;
    }
    crate::resources::endpoints::repo::create_system_gateway(&mut tx, root, &config.system_gateway_addresses).await?;
    sqlx::query(
        "INSERT INTO invoices (invoice_sid, partner_sid, seq, balance_previous, date_billing_period_start, date_billing_period_end)
         SELECT gen_random_uuid(), p.partner_sid, 1, -p.balance,
                billing_period_start(date_trunc('day', p.date_created, 'UTC'), now()),
                billing_period_end(date_trunc('day', p.date_created, 'UTC'), now())
           FROM partners p WHERE p.partner_sid = $1",
    )
    .bind(root)
    .execute(&mut *tx)
    .await?;
    sqlx::query("SELECT pg_notify($1, 'reset')").bind(CACHE_CHANNEL).execute(&mut *tx).await?;
    tx.commit().await?;
    // This instance at once (the demo data below signs in again); the others on the notification.
    state.invalidate_all();
    if config.demo_data {
        crate::demo::load(state).await?;
    }
    Ok(())
}
