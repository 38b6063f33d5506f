//! The SQL of the demo data that is the demo's own: its locks and markers, and the default rate
//! plans it makes (written as they are, with an effective date thirty days back).

use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::db::RepoResult;
use crate::domain::rating::RateItem;

/// Takes the lock of the demo loaders until the transaction ends.
pub async fn lock_demo(db: &mut PgConnection) -> RepoResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('carrierx_demo'))").execute(db).await?;
    Ok(())
}

/// Whether the part of the demo data named `marker` is loaded.
pub async fn marked<'e>(db: impl PgExecutor<'e>, marker: &str) -> RepoResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM local_markers WHERE name = $1)")
        .bind(marker)
        .fetch_one(db)
        .await?)
}

/// Records that the part of the demo data named `marker` is loaded.
pub async fn mark<'e>(db: impl PgExecutor<'e>, marker: &str) -> RepoResult<()> {
    sqlx::query("INSERT INTO local_markers (name) VALUES ($1)").bind(marker).execute(db).await?;
    Ok(())
}

/// Inserts a rate plan named `name`, in effect since thirty days ago.
pub async fn insert_plan<'e>(db: impl PgExecutor<'e>, plan: Uuid, name: &str) -> RepoResult<()> {
    sqlx::query("INSERT INTO rate_plans (rates_plan_sid, name, effective_date) VALUES ($1, $2, date_trunc('day', now()) - interval '30 days')")
        .bind(plan)
        .bind(name)
        .execute(db)
        .await?;
    Ok(())
}

/// Inserts an item of a rate plan.
pub async fn insert_item<'e>(db: impl PgExecutor<'e>, plan: Uuid, item: &RateItem) -> RepoResult<()> {
    sqlx::query("INSERT INTO rate_plan_items (rates_plan_sid, prefix, price, billing_increment, billing_minimum) VALUES ($1, $2, $3, $4, $5)")
        .bind(plan)
        .bind(&item.prefix)
        .bind(item.price)
        .bind(item.billing_increment)
        .bind(item.billing_minimum)
        .execute(db)
        .await?;
    Ok(())
}

/// Makes `plan` every partner's default for a direction and kind, unless an admin set one (the
/// built-in reference plans give way).
pub async fn assign_default<'e>(db: impl PgExecutor<'e>, direction: &str, kind: &str, plan: Uuid) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO rate_plan_assignments (partner_sid, direction, kind, rates_plan_sid) VALUES (NULL, $1, $2, $3)
         ON CONFLICT (COALESCE(partner_sid, '00000000-0000-0000-0000-000000000000'::uuid), direction, kind)
         DO UPDATE SET rates_plan_sid = EXCLUDED.rates_plan_sid
         WHERE rate_plan_assignments.rates_plan_sid IN (SELECT rates_plan_sid FROM rate_plans WHERE builtin)",
    )
    .bind(direction)
    .bind(kind)
    .bind(plan)
    .execute(db)
    .await?;
    Ok(())
}

/// Inserts the DID rental plan (0.6 a number, cheaper by the hundred and the thousand) and makes
/// it every partner's default unless an admin set one.
pub async fn insert_did_rental_plan(db: &mut PgConnection, plan: Uuid) -> RepoResult<()> {
    sqlx::query("INSERT INTO rate_plans (rates_plan_sid, name, effective_date) VALUES ($1, 'demo_did_rental', date_trunc('day', now()) - interval '30 days')")
        .bind(plan)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "INSERT INTO rate_plan_items (rates_plan_sid, price, tier_quantities, tier_prices)
         VALUES ($1, 0.6, '{0,100,1000}', '{0.6,0.5,0.4}')",
    )
    .bind(plan)
    .execute(&mut *db)
    .await?;
    assign_default(&mut *db, "any", "did", plan).await
}

/// Takes the demo tenant's lock on this connection (held until [`unlock_tenant`]).
pub async fn lock_tenant(db: &mut PgConnection) -> RepoResult<()> {
    sqlx::query("SELECT pg_advisory_lock(hashtext('carrierx_demo_tenant'))").execute(db).await?;
    Ok(())
}

/// Releases the demo tenant's lock taken on this connection.
pub async fn unlock_tenant(db: &mut PgConnection) -> RepoResult<()> {
    sqlx::query("SELECT pg_advisory_unlock(hashtext('carrierx_demo_tenant'))").execute(db).await?;
    Ok(())
}

/// Whether the demo tenant is made (its marker), or its login is taken by a partner or a login.
pub async fn tenant_made<'e>(db: impl PgExecutor<'e>, marker: &str, login: &str) -> RepoResult<bool> {
    Ok(sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM local_markers WHERE name = $1)
             OR EXISTS (SELECT 1 FROM partners WHERE login = $2)
             OR EXISTS (SELECT 1 FROM credentials WHERE login = $2)",
    )
    .bind(marker)
    .bind(login)
    .fetch_one(db)
    .await?)
}
