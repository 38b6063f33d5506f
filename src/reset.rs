//! Reset: the database back to its bootstrap state in one transaction, without re-migrating —
//! the root partner (its settings back to their defaults, its configured password), the OAuth
//! clients, the root partner's token (the configured one, else the first), its System Gateway and
//! a new open invoice; everything else gone. Reference data (countries, tax rates) stays. Every
//! instance drops its caches (a `reset` notification). `carrierx-core reset` and, when
//! `CARRIERX_ALLOW_RESET` is on, `POST /core/v2/admin/reset` call it.

use crate::db::reset as db;
use crate::domain::secrets;
use crate::http::error::{ApiError, ApiResult};
use crate::jobs::CACHE_CHANNEL;
use crate::resources::{endpoints, partners};
use crate::state::AppState;

pub async fn reset(state: &AppState) -> ApiResult<()> {
    let (pool, config) = (&state.pool, &*state.config);
    let mut tx = pool.begin().await?;
    db::lock_bootstrap(&mut tx).await?;
    let Some(root) = partners::repo::root_sid(&mut *tx).await? else {
        return Err(ApiError::internal("no root partner: the database was never bootstrapped"));
    };
    db::truncate_data(&mut tx).await?;
    // The root partner's token: the configured one, else the first one made (the bootstrap's).
    let keep = match config.root_token.expose() {
        Some(t) => db::token_by_hash(&mut tx, &secrets::sha256(t.as_bytes())).await?,
        None => db::first_token(&mut tx, root).await?,
    };
    db::keep_only_root(&mut tx, root, keep).await?;
    let d = &config.partner_defaults;
    db::restore_root(&mut *tx, root, d.balance, d.spending_limit, d.daily_spending_limit).await?;
    if let Some(password) = config.root_password.expose() {
        partners::repo::set_password(&mut tx, root, &secrets::hash_password(password)).await?;
    }
    endpoints::repo::create_system_gateway(&mut tx, root, &config.system_gateway_addresses).await?;
    db::open_first_invoice(&mut *tx, root).await?;
    db::notify_reset(&mut *tx, CACHE_CHANNEL).await?;
    tx.commit().await?;
    // This instance at once (the demo data below signs in again); the others on the notification.
    state.invalidate_all();
    if config.demo_data {
        crate::demo::load(state).await?;
    }
    Ok(())
}
