//! The one typed application state every handler receives.

use std::sync::Arc;

use sqlx::PgPool;

use crate::cache::Objects;
use crate::config::Config;
use crate::http::auth::cache::AuthCache;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub auth: Arc<AuthCache>,
    pub objects: Arc<Objects>,
    /// The IP geolocation databases, if installed.
    pub geoip: Option<Arc<crate::domain::geoip::GeoIp>>,
    /// Wakes this instance's batch worker when a task is created or approved here.
    pub batch_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        let geoip = match crate::domain::geoip::GeoIp::open(&config.geoip_db) {
            Ok(g) => Some(Arc::new(g)),
            Err(e) => {
                tracing::warn!(error = %e, "no IP geolocation database: IP lookups will answer 503 (run tools/setup-data.sh)");
                None
            }
        };
        AppState {
            geoip,
            pool,
            config: Arc::new(config),
            auth: Arc::new(AuthCache::new()),
            objects: Arc::new(Objects::default()),
            batch_wake: Arc::new(tokio::sync::Notify::new()),
        }
    }

    /// Handles one `carrierx_cache` notification.
    pub fn on_notification(&self, payload: &str) {
        if payload == "reset" {
            return self.invalidate_all();
        }
        match payload.strip_prefix("object:") {
            Some(rest) => self.objects.on_notification(rest),
            None => self.auth.on_notification(payload),
        }
    }

    /// Drops every cached entry (the notifications may have been missed).
    pub fn invalidate_all(&self) {
        self.auth.invalidate_all();
        self.objects.clear();
    }
}
