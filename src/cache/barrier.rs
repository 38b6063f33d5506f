//! Read-your-writes on one instance: a write request's answer waits until this instance's
//! listener has heard a notification sent after the request's commit. PostgreSQL delivers
//! notifications in commit order, so by then every invalidation the request's transaction sent
//! (its triggers', whatever rows they named) has been applied here.
//!
//! Waiters share notifications: a sender task sends one `barrier:<instance>:<n>` covering every
//! ticket taken so far, so a burst of writes costs one statement, not one each.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{watch, Notify};
use uuid::Uuid;

/// How long a write waits for its barrier at most (the listener may be reconnecting).
pub const WAIT: Duration = Duration::from_secs(1);

pub struct Barrier {
    instance: Uuid,
    requested: AtomicU64,
    seen: watch::Sender<u64>,
    wake: Notify,
}

impl Default for Barrier {
    fn default() -> Self {
        Barrier {
            instance: Uuid::new_v4(),
            requested: AtomicU64::new(0),
            seen: watch::Sender::new(0),
            wake: Notify::new(),
        }
    }
}

impl Barrier {
    /// Returns once this instance has heard every notification committed before the call.
    pub async fn wait(&self) {
        let ticket = self.requested.fetch_add(1, Ordering::AcqRel) + 1;
        let mut seen = self.seen.subscribe();
        self.wake.notify_one();
        if tokio::time::timeout(WAIT, seen.wait_for(|s| *s >= ticket)).await.is_err() {
            tracing::debug!(ticket, "cache barrier timed out");
        }
    }

    /// Handles `<instance>:<n>` from a `barrier:` notification (other instances' are ignored).
    pub fn on_notification(&self, rest: &str) {
        let Some((instance, n)) = rest.split_once(':') else { return };
        let (Ok(instance), Ok(n)) = (Uuid::parse_str(instance), n.parse::<u64>()) else { return };
        if instance == self.instance {
            self.seen.send_if_modified(|s| {
                let newer = n > *s;
                if newer {
                    *s = n;
                }
                newer
            });
        }
    }

    /// Sends the barriers asked for, until the task is aborted (with its listener).
    pub async fn send(&self, pool: &PgPool, channel: &str) {
        let mut sent = self.requested.load(Ordering::Acquire);
        // Tickets taken before the listener was up are released: the caches were just emptied.
        self.seen.send_if_modified(|s| {
            let newer = sent > *s;
            if newer {
                *s = sent;
            }
            newer
        });
        loop {
            self.wake.notified().await;
            loop {
                let target = self.requested.load(Ordering::Acquire);
                if target <= sent {
                    break;
                }
                let payload = format!("barrier:{}:{target}", self.instance);
                match crate::db::notify_all(pool, channel, &[payload]).await {
                    Ok(()) => sent = target,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot send a cache barrier");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }
    }
}
