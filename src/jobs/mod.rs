//! Background work, safe with several server instances against one database: cache
//! invalidation from `LISTEN/NOTIFY`, mail delivery (rows claimed with `SKIP LOCKED`), and the
//! batched write of tokens' last access, the batch task worker, and the first-start install of the IP
//! geolocation data, the simulated network's clock and the callback sender.

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::task::JoinHandle;

use crate::http::auth::cache::flush_last_access;
use crate::state::AppState;

pub mod batch;
pub mod callbacks;
pub mod geoip_install;
pub mod network;

pub const CACHE_CHANNEL: &str = "carrierx_cache";

pub fn spawn_all(state: &AppState) -> Vec<JoinHandle<()>> {
    let mut jobs = vec![
        tokio::spawn(listen_for_invalidations(state.clone())),
        tokio::spawn(deliver_mail(state.clone())),
        tokio::spawn(write_last_access(state.clone())),
        tokio::spawn(return_aged_numbers(state.clone())),
        tokio::spawn(close_billing_periods(state.clone())),
        tokio::spawn(fold_pending_charges(state.clone())),
        tokio::spawn(crate::http::metrics::upkeep()),
        tokio::spawn(collect_memory()),
        tokio::spawn(crate::traffic::relay(state.clone())),
        tokio::spawn(crate::resources::shortener::redirect::run_hits(state.clone())),
        tokio::spawn(crate::resources::storage::run_lifecycle(state.clone())),
    ];
    if state.config.batch_worker {
        jobs.push(tokio::spawn(batch::run(state.clone())));
    }
    if state.config.network_worker {
        jobs.push(tokio::spawn(network::run(state.clone())));
        jobs.push(tokio::spawn(callbacks::run(state.clone())));
    }
    jobs.extend(geoip_install::start(state));
    jobs
}

/// Drops cache entries when another instance (or this one) changes credentials or cached
/// objects, and hands the traffic every instance publishes to this one's consoles. When the
/// connection is lost, everything is dropped: notifications may have been missed.
pub async fn listen_for_invalidations(state: AppState) {
    loop {
        match PgListener::connect_with(&state.pool).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen_all([CACHE_CHANNEL, crate::traffic::CHANNEL]).await {
                    tracing::warn!(error = %e, "cannot LISTEN for cache invalidations");
                } else {
                    state.invalidate_all();
                    let _live = Live::on(&state);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(n)) if n.channel() == crate::traffic::CHANNEL => {
                                crate::traffic::on_notification(&state, n.payload())
                            }
                            Ok(Some(n)) => state.on_notification(n.payload()),
                            Ok(None) => {
                                tracing::warn!("invalidation listener lost its connection: reconnecting");
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "invalidation listener failed");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the invalidation listener"),
        }
        state.invalidate_all();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// While the listener is subscribed: the object caches on, and the barrier sender running.
/// Dropped (the connection lost, or the listener's task ended), the caches go off at once.
struct Live(std::sync::Arc<crate::cache::Objects>, JoinHandle<()>);

impl Live {
    fn on(state: &AppState) -> Live {
        state.objects.set_live(true);
        let sender = {
            let state = state.clone();
            tokio::spawn(async move { state.objects.barrier.send(&state.pool, CACHE_CHANNEL).await })
        };
        Live(state.objects.clone(), sender)
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        self.0.set_live(false);
        self.1.abort();
    }
}

pub async fn deliver_mail(state: AppState) {
    loop {
        match crate::mail::deliver_due(&state.pool, &state.config).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "mail delivery round failed"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Puts the charges recorded by lookups on the invoices and balances, every half second.
pub async fn fold_pending_charges(state: AppState) {
    loop {
        let round = async {
            let mut tx = state.pool.begin().await?;
            let partners = crate::resources::invoices::accrual::fold_pending(&mut tx, None).await?;
            tx.commit().await?;
            Ok::<_, crate::http::error::ApiError>(partners)
        };
        match round.await {
            Ok(partners) => {
                for p in partners {
                    crate::resources::partners::ops::money_changed(&state, p);
                }
            }
            Err(e) => tracing::warn!(error = ?e, "cannot fold pending charges"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Issues the invoices whose billing period has ended and opens the next ones.
pub async fn close_billing_periods(state: AppState) {
    loop {
        match crate::resources::invoices::periods::close_due(&state.pool).await {
            Ok(Some(partner)) => {
                crate::resources::partners::ops::money_changed(&state, partner);
                continue;
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = ?e, "cannot close a billing period"),
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Released numbers whose aging period has passed go back to the inventory.
pub async fn return_aged_numbers(state: AppState) {
    loop {
        if let Err(e) = crate::resources::dids::repo::return_aged(&state.pool).await {
            tracing::warn!(error = %e, "cannot return aged numbers to the inventory");
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    }
}

/// Gives freed memory back to the system every second (`alloc::collect`).
pub async fn collect_memory() {
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let _ = tokio::task::spawn_blocking(crate::alloc::collect).await;
    }
}

pub async fn write_last_access(state: AppState) {
    loop {
        tokio::time::sleep(Duration::from_secs(5)).await;
        if let Err(e) = flush_last_access(&state.auth, &state.pool).await {
            tracing::warn!(error = %e, "cannot record token last access");
        }
    }
}
