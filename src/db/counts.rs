//! Exact `total`s of lists, remembered until a table they count changes: a list's count (a
//! root's 20,000 rented numbers in a state) costs more than its page, and most reads repeat it.
//!
//! A count is remembered with the change generation of every table its query reads; a change
//! of any of them (announced on `carrierx_cache` by the tables' triggers, inserts included, and
//! applied by [`bump`]) makes it stale. Only tables whose every insert, update and delete is
//! announced are counted this way ([`ANNOUNCED`]); a count reading any other table is always
//! run. Each instance has its own ([`Counts`], beside its object caches, handed to the list
//! engine for the request by [`scope`]); nothing is remembered while its listener does not hear
//! the announcements, and its writes are heard before their answers leave (the cache barrier),
//! so a client reads its own changes in the next `total`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tables whose every change is announced (migration 0024 for inserts).
pub const ANNOUNCED: &[&str] = &["dids", "partners"];

const TTL: Duration = Duration::from_secs(60);
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    total: i64,
    generations: Vec<u64>,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    generations: HashMap<String, u64>,
    entries: HashMap<String, Entry>,
}

/// One instance's remembered counts (its object caches' companion: `cache::Objects::counts`).
pub struct Counts {
    inner: Mutex<Inner>,
    /// Whether the instance hears the announcements (shared with its object caches).
    live: Arc<AtomicBool>,
}

tokio::task_local! {
    static CURRENT: Arc<Counts>;
}

/// Runs a request with its instance's counts at hand for the list engine.
pub async fn scope<F: std::future::Future>(counts: Arc<Counts>, f: F) -> F::Output {
    CURRENT.scope(counts, f).await
}

/// The counts of the instance serving the current request, if any.
pub fn current() -> Option<Arc<Counts>> {
    CURRENT.try_with(Arc::clone).ok()
}

impl Counts {
    pub fn new(live: Arc<AtomicBool>) -> Self {
        Counts { inner: Mutex::default(), live }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        crate::sync::lock(&self.inner)
    }

    /// `table` changed.
    pub fn bump(&self, table: &str) {
        *self.lock().generations.entry(table.to_owned()).or_default() += 1;
    }

    /// Anything may have changed (a listener reconnected, a reset).
    pub fn bump_all(&self) {
        let mut c = self.lock();
        c.entries.clear();
        for g in c.generations.values_mut() {
            *g += 1;
        }
    }

    /// What to give [`Counts::remember`]: the tables' generations before the count is run.
    pub fn generations(&self, tables: &[String]) -> Vec<u64> {
        let c = self.lock();
        tables.iter().map(|t| c.generations.get(t).copied().unwrap_or(0)).collect()
    }

    /// The count remembered under `key`, if none of `tables` changed since.
    pub fn get(&self, key: &str, tables: &[String]) -> Option<i64> {
        if !self.live.load(Ordering::Acquire) {
            return None;
        }
        let c = self.lock();
        let e = c.entries.get(key)?;
        let now: Vec<u64> = tables.iter().map(|t| c.generations.get(t).copied().unwrap_or(0)).collect();
        (e.generations == now && e.at.elapsed() < TTL).then_some(e.total)
    }

    /// Remembers `total`, counted when the tables were at `generations`.
    pub fn remember(&self, key: String, generations: Vec<u64>, total: i64) {
        if !self.live.load(Ordering::Acquire) {
            return;
        }
        let mut c = self.lock();
        if c.entries.len() >= MAX_ENTRIES {
            c.entries.retain(|_, e| e.at.elapsed() < TTL);
            if c.entries.len() >= MAX_ENTRIES {
                c.entries.clear();
            }
        }
        c.entries.insert(key, Entry { total, generations, at: Instant::now() });
    }
}

/// The tables a query reads (each name after `FROM` or `JOIN`), if all are announced.
pub fn announced_tables(sql: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let mut tables = Vec::new();
    for pair in words.windows(2) {
        if pair[0].eq_ignore_ascii_case("FROM") || pair[0].eq_ignore_ascii_case("JOIN") {
            let t = pair[1].trim_matches(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
            if !ANNOUNCED.contains(&t) {
                return None;
            }
            if !tables.iter().any(|x| x == t) {
                tables.push(t.to_owned());
            }
        }
    }
    (!tables.is_empty()).then_some(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_queries_of_announced_tables_are_remembered() {
        assert_eq!(
            announced_tables(
                "SELECT COUNT(*) FROM dids d LEFT JOIN partners p ON p.partner_sid = d.partner_sid WHERE true"
            ),
            Some(vec!["dids".to_owned(), "partners".to_owned()])
        );
        assert_eq!(
            announced_tables("SELECT COUNT(*) FROM dids d WHERE d.x = ANY(ARRAY(SELECT y FROM endpoints e))"),
            None
        );
        assert_eq!(announced_tables("SELECT COUNT(*) FROM endpoints e"), None);
    }

    #[test]
    fn a_change_of_a_counted_table_forgets_the_count() {
        let live = Arc::new(AtomicBool::new(false));
        let counts = Counts::new(live.clone());
        let tables = vec!["dids".to_owned(), "partners".to_owned()];
        // Nothing is remembered while the announcements are not heard.
        counts.remember("k".into(), counts.generations(&tables), 7);
        assert_eq!(counts.get("k", &tables), None);
        live.store(true, Ordering::Release);
        counts.remember("k".into(), counts.generations(&tables), 7);
        assert_eq!(counts.get("k", &tables), Some(7));
        counts.bump("partners");
        assert_eq!(counts.get("k", &tables), None);
        // Counted while a change arrived: stale at once.
        let before = counts.generations(&tables);
        counts.bump("dids");
        counts.remember("k".into(), before, 8);
        assert_eq!(counts.get("k", &tables), None);
    }
}
