//! The SQL of the demo data that is the demo's own: its locks and markers, and the default rate
//! plans it makes (written as they are, with an effective date thirty days back).

use sqlx::{PgConnection, PgExecutor};

use crate::db::RepoResult;

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
