//! In-process caches of objects read by secure ID, so that hot GETs skip the database.
//!
//! Every change of a cached table is announced by a trigger on the `carrierx_cache` channel
//! (`object:<table>:<sid>`), which every instance listens to; the instance that makes a change
//! also drops its own entry right after the commit, so it reads its writes. An entry read from
//! the database while an invalidation arrived is not stored (a generation counter), and every
//! entry expires after [`TTL`] whatever happens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::resources::partners::repo::PartnerRow;

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
const MAX_ENTRIES: usize = 100_000;

pub struct ObjectCache<V> {
    map: RwLock<HashMap<Uuid, (Arc<V>, Instant)>>,
    generation: AtomicU64,
}

impl<V> Default for ObjectCache<V> {
    fn default() -> Self {
        ObjectCache { map: RwLock::default(), generation: AtomicU64::new(0) }
    }
}

impl<V> ObjectCache<V> {
    pub fn get(&self, sid: &Uuid) -> Option<Arc<V>> {
        let m = crate::sync::read(&self.map);
        let (v, at) = m.get(sid)?;
        (at.elapsed() < TTL).then(|| v.clone())
    }

    /// Read before querying the database; give it back to [`ObjectCache::put`].
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn put(&self, sid: Uuid, v: Arc<V>, generation: u64) {
        let mut m = crate::sync::write(&self.map);
        if self.generation() != generation {
            return;
        }
        if m.len() >= MAX_ENTRIES {
            m.retain(|_, (_, at)| at.elapsed() < TTL);
            if m.len() >= MAX_ENTRIES {
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

/// The object caches of one instance.
#[derive(Default)]
pub struct Objects {
    pub partners: ObjectCache<Cached<PartnerRow>>,
}

impl Objects {
    /// Handles `<table>:<sid>` from an `object:` notification.
    pub fn on_notification(&self, rest: &str) {
        let Some((table, sid)) = rest.split_once(':') else {
            self.clear();
            return;
        };
        let Ok(sid) = Uuid::parse_str(sid) else {
            self.clear();
            return;
        };
        if table == "partners" {
            self.partners.invalidate(&sid)
        }
    }

    pub fn clear(&self) {
        self.partners.clear();
    }
}
