//! The one typed application state every handler receives.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use sqlx::PgPool;

use crate::cache::Objects;
use crate::config::Config;
use crate::domain::callback_url::OwnAddresses;
use crate::domain::geoip::{self, GeoIp};
use crate::http::auth::cache::AuthCache;

/// Cloned for every request (by each layer and extractor that holds it): one reference count,
/// not one per field (the clones and drops of a ten-field state were 9% of a cached GET's CPU).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub auth: Arc<AuthCache>,
    pub objects: Arc<Objects>,
    /// The IP geolocation databases: loaded at start when found, or once the first-start
    /// install (`jobs::geoip_install`) has put them in place.
    pub geoip: Arc<GeoIpData>,
    /// Wakes this instance's batch worker when a task is created or approved here.
    pub batch_wake: Arc<tokio::sync::Notify>,
    /// Where this server answers: callbacks never go there.
    pub own: Arc<OwnAddresses>,
    /// What resources keep per instance (a writer task's queue, reference data read once), by
    /// type: the state knows no resource.
    pub services: Arc<Services>,
    /// Wakes this instance's callback worker when callbacks were queued here.
    pub callback_wake: Arc<tokio::sync::Notify>,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        let geoip = Arc::new(GeoIpData::default());
        if let Some(files) = geoip::locate(&config.geoip_db, &config.data_dir).files() {
            match GeoIp::open(&files) {
                Ok(db) => geoip.set(db),
                Err(e) => tracing::warn!(
                    error = %e,
                    "cannot open the IP geolocation databases: IP lookups will answer 503 (tools/setup-data.sh installs them)"
                ),
            }
        }
        let own = Arc::new(OwnAddresses::new(&config.bind, config.public_url()));
        AppState(Arc::new(Shared {
            own,
            services: Arc::default(),
            callback_wake: Arc::new(tokio::sync::Notify::new()),
            geoip,
            pool,
            config: Arc::new(config),
            auth: Arc::new(AuthCache::new()),
            objects: Arc::new(Objects::default()),
            batch_wake: Arc::new(tokio::sync::Notify::new()),
        }))
    }

    /// Handles one `carrierx_cache` notification.
    pub fn on_notification(&self, payload: &str) {
        if payload == "reset" {
            return self.invalidate_all();
        }
        if let Some(rest) = payload.strip_prefix("object:") {
            self.objects.on_notification(rest)
        } else if let Some(table) = payload.strip_prefix("table:") {
            self.objects.counts.bump(table)
        } else if let Some(rest) = payload.strip_prefix("barrier:") {
            self.objects.barrier.on_notification(rest)
        } else {
            self.auth.on_notification(payload)
        }
    }

    /// Waits until this instance has heard the change notifications of everything committed so
    /// far (a no-op while its caches are off).
    pub async fn caches_caught_up(&self) {
        if self.objects.is_live() {
            self.objects.barrier.wait().await;
        }
    }

    /// Drops every cached entry (the notifications may have been missed).
    pub fn invalidate_all(&self) {
        self.auth.invalidate_all();
        self.objects.clear();
    }
}

/// Per-instance values of the resources, one of each type, made on first use.
#[derive(Default)]
pub struct Services(
    std::sync::Mutex<std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>,
);

impl Services {
    /// The instance's `T`, made by `init` the first time it is asked for.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let mut map = crate::sync::lock(&self.0);
        let id = std::any::TypeId::of::<T>();
        // Stored under its own type, so the downcast holds; a value that did not would be replaced.
        if let Some(v) = map.get(&id).and_then(|e| e.clone().downcast::<T>().ok()) {
            return v;
        }
        let v = Arc::new(init());
        map.insert(id, v.clone());
        v
    }
}

/// The IP geolocation databases of a running server: set once (at start, or when the
/// background install is done) and read without a lock.
#[derive(Default)]
pub struct GeoIpData {
    db: OnceLock<GeoIp>,
    installing: AtomicBool,
}

impl GeoIpData {
    pub fn get(&self) -> Option<&GeoIp> {
        self.db.get()
    }

    /// Makes `db` the databases (the first set stays).
    pub fn set(&self, db: GeoIp) {
        let _ = self.db.set(db);
    }

    /// Whether the databases are being installed (IP lookups say so meanwhile).
    pub fn installing(&self) -> bool {
        self.installing.load(Ordering::Relaxed)
    }

    pub fn set_installing(&self, on: bool) {
        self.installing.store(on, Ordering::Relaxed);
    }
}
