//! In-process caches of objects read by secure ID, so that hot GETs skip the database.
//!
//! Every change of a cached table is announced by a trigger on the `carrierx_cache` channel
//! (`object:<table>:<sid>`), which every instance listens to; the instance that makes a change
//! also drops its own entry right after the commit, so it reads its writes. An entry read from
//! the database while an invalidation arrived is not stored (a generation counter), and every
//! entry expires after [`TTL`] whatever happens.
//!
//! The caches only work while this instance's listener is subscribed ([`Objects::set_live`]):
//! without the notifications nothing says when an entry went stale, so every read then goes to
//! the database. And every write request ends with a [`barrier::Barrier`]: its answer leaves only
//! once this instance has heard every notification its transaction sent, so a client reads its
//! own writes here, whatever rows they touched (a cascade, a batch, a trigger).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

pub mod barrier;

pub const TTL: Duration = Duration::from_secs(60);

/// A cached row with its serialized public form, made once on first use.
pub struct Cached<T> {
    pub row: T,
    json: std::sync::OnceLock<axum::body::Bytes>,
}

impl<T> Cached<T> {
    pub fn new(row: T) -> Self {
        Cached { row, json: std::sync::OnceLock::new() }
    }

    /// The JSON of the row as every non-admin caller sees it.
    pub fn json(&self, serialize: impl FnOnce(&T) -> Vec<u8>) -> axum::body::Bytes {
        self.json.get_or_init(|| axum::body::Bytes::from(serialize(&self.row))).clone()
    }
}

impl<T> std::ops::Deref for Cached<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.row
    }
}
pub struct ObjectCache<V> {
    map: RwLock<HashMap<Uuid, (Arc<V>, Instant)>>,
    generation: AtomicU64,
    /// Whether the instance hears the change notifications (shared by the registry's caches).
    live: Arc<AtomicBool>,
    max_entries: usize,
}

impl<V> ObjectCache<V> {
    fn new(live: Arc<AtomicBool>, max_entries: usize) -> Self {
        ObjectCache { map: RwLock::default(), generation: AtomicU64::new(0), live, max_entries }
    }

    pub fn get(&self, sid: &Uuid) -> Option<Arc<V>> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let m = crate::sync::read(&self.map);
        let (v, at) = m.get(sid)?;
        (at.elapsed() < TTL).then(|| v.clone())
    }

    /// Read before querying the database; give it back to [`ObjectCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn put(&self, sid: Uuid, v: Arc<V>, generation: u64) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut m = crate::sync::write(&self.map);
        if self.generation() != generation {
            return;
        }
        if m.len() >= self.max_entries {
            m.retain(|_, (_, at)| at.elapsed() < TTL);
            if m.len() >= self.max_entries {
                m.clear();
            }
        }
        m.insert(sid, (v, Instant::now()));
    }

    pub fn invalidate(&self, sid: &Uuid) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        crate::sync::write(&self.map).remove(sid);
    }

    pub fn clear(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        crate::sync::write(&self.map).clear();
    }
}

/// A row type kept in the object cache: the table whose changes invalidate it.
pub trait Cacheable: Send + Sync + 'static {
    /// The table name the change trigger announces (`object:<table>:<sid>`, or `object:<table>`
    /// when a statement changed too many rows to name).
    const TABLE: &'static str;
    /// At most this many rows are kept (then the expired go, and if that is not enough, all).
    const MAX_ENTRIES: usize = 10_000;

    /// The partner owning the row when the row must not be found once that partner is deleted
    /// (the repository hides a deleted partner's rows; its status change does not touch them).
    fn owner(&self) -> Option<Uuid> {
        None
    }
}

/// What the registry needs of a cache whatever its row type.
trait AnyCache: Send + Sync {
    fn table(&self) -> &'static str;
    fn invalidate(&self, sid: &Uuid);
    fn clear(&self);
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<T: Cacheable> AnyCache for ObjectCache<Cached<T>> {
    fn table(&self) -> &'static str {
        T::TABLE
    }

    fn invalidate(&self, sid: &Uuid) {
        ObjectCache::invalidate(self, sid)
    }

    fn clear(&self) {
        ObjectCache::clear(self)
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// The object caches of one instance, one per cached row type, made on first use: the registry
/// knows no resource, only tables.
pub struct Objects {
    caches: RwLock<HashMap<TypeId, Arc<dyn AnyCache>>>,
    live: Arc<AtomicBool>,
    pub barrier: barrier::Barrier,
    /// The lists' remembered totals, valid under the same notices.
    pub counts: Arc<crate::db::counts::Counts>,
}

impl Default for Objects {
    fn default() -> Self {
        let live = Arc::new(AtomicBool::new(false));
        Objects {
            caches: RwLock::default(),
            counts: Arc::new(crate::db::counts::Counts::new(live.clone())),
            live,
            barrier: barrier::Barrier::default(),
        }
    }
}

impl Objects {
    /// Turns the caches on once the listener is subscribed (after dropping everything), and off
    /// when it has lost its connection.
    pub fn set_live(&self, live: bool) {
        self.live.store(live, Ordering::Release);
        self.clear();
    }

    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// The cache of `T` rows.
    pub fn of<T: Cacheable>(&self) -> Arc<ObjectCache<Cached<T>>> {
        let id = TypeId::of::<T>();
        let found = crate::sync::read(&self.caches).get(&id).cloned();
        let cache = match found {
            Some(c) => c,
            None => crate::sync::write(&self.caches)
                .entry(id)
                .or_insert_with(|| {
                    Arc::new(ObjectCache::<Cached<T>>::new(self.live.clone(), T::MAX_ENTRIES)) as Arc<dyn AnyCache>
                })
                .clone(),
        };
        // One cache type per `TypeId`: the downcast holds; were it not to, the caller gets a
        // cache of its own (nothing shared, nothing wrong) rather than a panic.
        cache.as_any().downcast::<ObjectCache<Cached<T>>>().unwrap_or_else(|_| {
            Arc::new(ObjectCache::<Cached<T>>::new(Arc::new(AtomicBool::new(false)), T::MAX_ENTRIES))
        })
    }

    /// Forgets the row `sid` of `table` (this instance's part of a change).
    pub fn invalidate(&self, table: &str, sid: &Uuid) {
        self.counts.bump(table);
        for c in crate::sync::read(&self.caches).values() {
            if c.table() == table {
                c.invalidate(sid);
            }
        }
    }

    /// Forgets every row of `table`.
    pub fn clear_table(&self, table: &str) {
        self.counts.bump(table);
        for c in crate::sync::read(&self.caches).values() {
            if c.table() == table {
                c.clear();
            }
        }
    }

    /// Handles `<table>:<sid>` (or `<table>` alone: many of its rows) from an `object:`
    /// notification.
    pub fn on_notification(&self, rest: &str) {
        match rest.split_once(':') {
            Some((table, sid)) => match Uuid::parse_str(sid) {
                Ok(sid) => self.invalidate(table, &sid),
                Err(_) => self.clear(),
            },
            None if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => {
                self.clear_table(rest)
            }
            None => self.clear(),
        }
    }

    pub fn clear(&self) {
        self.counts.bump_all();
        for c in crate::sync::read(&self.caches).values() {
            c.clear();
        }
    }
}

#[cfg(test)]
mod tests;
