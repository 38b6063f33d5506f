//! The one typed application state every handler receives.

use std::sync::Arc;

use sqlx::PgPool;

use crate::config::Config;
use crate::http::auth::cache::AuthCache;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub auth: Arc<AuthCache>,
}

impl AppState {
    pub fn new(pool: PgPool, config: Config) -> Self {
        AppState { pool, config: Arc::new(config), auth: Arc::new(AuthCache::new()) }
    }
}
