//! In-process caches of credentials, invalidated on every instance through PostgreSQL
//! `LISTEN/NOTIFY` (channel `carrierx_auth`, sent by triggers at commit) and bounded by a TTL.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::Principal;
use crate::domain::secrets::{random_bytes, sha256};

/// How long an entry may live without a notification (a safety net, not the mechanism).
pub const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone)]
struct Entry {
    principal: Arc<Principal>,
    /// When the credential itself stops being valid (access token expiry).
    valid_until: Option<DateTime<Utc>>,
    cached_at: Instant,
}

/// When a token was last used, and from where (written in batches).
pub type LastAccess = (DateTime<Utc>, Option<String>);
/// One check of Basic credentials that concurrent requests with the same credentials share.
type InFlight = tokio::sync::OnceCell<Option<Arc<Principal>>>;

pub struct AuthCache {
    tokens: RwLock<HashMap<[u8; 32], Entry>>,
    basic: RwLock<HashMap<[u8; 32], Entry>>,
    salt: Vec<u8>,
    generation: AtomicU64,
    last_access: Mutex<HashMap<Uuid, LastAccess>>,
    /// Basic checks under way: concurrent requests with the same credentials share one argon2.
    inflight: Mutex<HashMap<[u8; 32], Arc<InFlight>>>,
}

pub type Inflight = Arc<tokio::sync::OnceCell<Option<Arc<Principal>>>>;

impl Default for AuthCache {
    fn default() -> Self {
        Self::new()
    }
}

impl AuthCache {
    pub fn new() -> Self {
        AuthCache {
            tokens: RwLock::default(),
            basic: RwLock::default(),
            salt: random_bytes(32),
            generation: AtomicU64::new(0),
            last_access: Mutex::default(),
            inflight: Mutex::default(),
        }
    }

    pub fn token_key(token: &str) -> [u8; 32] {
        sha256(token.as_bytes())
    }

    /// The Basic cache key: a salted hash of login and password (never the password itself).
    pub fn basic_key(&self, login: &str, password: &str) -> [u8; 32] {
        let mut buf = Vec::with_capacity(self.salt.len() + login.len() + password.len() + 1);
        buf.extend_from_slice(&self.salt);
        buf.extend_from_slice(login.as_bytes());
        buf.push(0);
        buf.extend_from_slice(password.as_bytes());
        sha256(&buf)
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn get(map: &RwLock<HashMap<[u8; 32], Entry>>, key: &[u8; 32]) -> Option<Arc<Principal>> {
        let guard = crate::sync::read(map);
        let e = guard.get(key)?;
        if e.cached_at.elapsed() > TTL || e.valid_until.is_some_and(|t| t <= Utc::now()) {
            return None;
        }
        Some(e.principal.clone())
    }

    fn put(
        &self,
        map: &RwLock<HashMap<[u8; 32], Entry>>,
        key: [u8; 32],
        p: Arc<Principal>,
        valid_until: Option<DateTime<Utc>>,
        gen: u64,
    ) {
        let mut guard = crate::sync::write(map);
        // An invalidation that arrived while the entry was read from the database wins.
        if self.generation() != gen {
            return;
        }
        if guard.len() >= MAX_ENTRIES {
            guard.retain(|_, e| e.cached_at.elapsed() <= TTL);
            if guard.len() >= MAX_ENTRIES {
                guard.clear();
            }
        }
        guard.insert(key, Entry { principal: p, valid_until, cached_at: Instant::now() });
    }

    pub fn get_token(&self, key: &[u8; 32]) -> Option<Arc<Principal>> {
        Self::get(&self.tokens, key)
    }

    pub fn put_token(&self, key: [u8; 32], p: Arc<Principal>, valid_until: DateTime<Utc>, gen: u64) {
        self.put(&self.tokens, key, p, Some(valid_until), gen)
    }

    pub fn get_basic(&self, key: &[u8; 32]) -> Option<Arc<Principal>> {
        Self::get(&self.basic, key)
    }

    pub fn put_basic(&self, key: [u8; 32], p: Arc<Principal>, gen: u64) {
        self.put(&self.basic, key, p, None, gen)
    }

    /// The shared check of these credentials, joining one under way.
    pub fn inflight(&self, key: [u8; 32]) -> Inflight {
        crate::sync::lock(&self.inflight).entry(key).or_default().clone()
    }

    pub fn done(&self, key: &[u8; 32], cell: &Inflight) {
        let mut m = crate::sync::lock(&self.inflight);
        if m.get(key).is_some_and(|c| Arc::ptr_eq(c, cell)) {
            m.remove(key);
        }
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops every entry of a partner (its tokens and logins).
    pub fn invalidate_partner(&self, partner_sid: Uuid) {
        self.bump();
        for map in [&self.tokens, &self.basic] {
            crate::sync::write(map).retain(|_, e| e.principal.partner_sid != partner_sid);
        }
    }

    pub fn invalidate_token(&self, token_sid: Uuid) {
        self.bump();
        crate::sync::write(&self.tokens).retain(|_, e| e.principal.token_sid != Some(token_sid));
    }

    pub fn invalidate_all(&self) {
        self.bump();
        crate::sync::write(&self.tokens).clear();
        crate::sync::write(&self.basic).clear();
    }

    /// Handles one `carrierx_auth` notification payload.
    pub fn on_notification(&self, payload: &str) {
        match payload.split_once(':') {
            Some(("token", sid)) => match Uuid::parse_str(sid) {
                Ok(u) => self.invalidate_token(u),
                Err(_) => self.invalidate_all(),
            },
            Some(("partner", sid)) => match Uuid::parse_str(sid) {
                Ok(u) => self.invalidate_partner(u),
                Err(_) => self.invalidate_all(),
            },
            _ => self.invalidate_all(),
        }
    }

    /// Notes a token's use; written to the database in batches, not on every request.
    pub fn touch(&self, token_sid: Uuid, ip: Option<String>) {
        let mut m = crate::sync::lock(&self.last_access);
        let ip = ip.or_else(|| m.get(&token_sid).and_then(|e| e.1.clone()));
        m.insert(token_sid, (Utc::now(), ip));
    }

    /// The last use of a token noted here and not yet written.
    pub fn pending_access(&self, token_sid: Uuid) -> Option<LastAccess> {
        crate::sync::lock(&self.last_access).get(&token_sid).cloned()
    }

    pub fn take_last_access(&self) -> Vec<(Uuid, DateTime<Utc>, Option<String>)> {
        let mut m = crate::sync::lock(&self.last_access);
        m.drain().map(|(k, (d, ip))| (k, d, ip)).collect()
    }
}

/// Writes the pending `date_last_accessed`/`ip_last_accessed` values in one statement.
pub async fn flush_last_access(cache: &AuthCache, pool: &sqlx::PgPool) -> crate::db::RepoResult<()> {
    let batch = cache.take_last_access();
    if batch.is_empty() {
        return Ok(());
    }
    let sids: Vec<Uuid> = batch.iter().map(|b| b.0).collect();
    let dates: Vec<DateTime<Utc>> = batch.iter().map(|b| b.1).collect();
    let ips: Vec<Option<String>> = batch.iter().map(|b| b.2.clone()).collect();
    super::repo::record_last_access(pool, &sids, &dates, &ips).await
}
