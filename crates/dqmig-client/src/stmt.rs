//! Prepared statements: the user-facing [`Statement`] handle, the per-connection registry of
//! live statement ids (a finalized id is reused by the server, and executing a stale one
//! crashes a 1.11 node), and the statement cache that lets repeated
//! `execute`/`query` calls with the same SQL skip parsing on the server.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use super::scan::SqlInfo;

static NEXT_CONNECTION_GENERATION: AtomicU64 = AtomicU64::new(1);

/// A fresh generation number for a new connection; statements carry it so a handle from one
/// connection is refused on another.
pub(crate) fn new_generation() -> u64 {
    NEXT_CONNECTION_GENERATION.fetch_add(1, Ordering::Relaxed)
}

/// A statement prepared on one connection. Not `Clone`: `Connection::finalize` consumes it,
/// so a finalized handle cannot be used again. Dropping it without finalizing keeps the
/// server-side statement alive until the connection closes.
#[derive(Debug)]
pub struct Statement {
    pub(crate) generation: u64,
    pub(crate) id: u32,
    pub(crate) serial: u64,
    pub(crate) params: u64,
    pub(crate) sql: String,
    pub(crate) info: SqlInfo,
}

impl Statement {
    /// The server's statement id (unique only among the connection's live statements).
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Number of parameters the statement takes (as reported by the server).
    pub fn param_count(&self) -> u64 {
        self.params
    }

    pub fn sql(&self) -> &str {
        &self.sql
    }
}

/// Which statement ids are live on a connection, each with a serial that changes when the
/// server reuses the id for a new statement.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    live: HashMap<u32, u64>,
    next_serial: u64,
}

impl Registry {
    pub fn register(&mut self, id: u32) -> u64 {
        self.next_serial += 1;
        self.live.insert(id, self.next_serial);
        self.next_serial
    }

    pub fn contains(&self, id: u32) -> bool {
        self.live.contains_key(&id)
    }

    pub fn is_live(&self, id: u32, serial: u64) -> bool {
        self.live.get(&id) == Some(&serial)
    }

    pub fn remove(&mut self, id: u32) {
        self.live.remove(&id);
    }
}

/// One cached prepared statement.
#[derive(Debug, Clone)]
pub(crate) struct Cached {
    pub id: u32,
    pub serial: u64,
    pub params: u64,
    pub info: SqlInfo,
    /// Learned by `run`: whether the statement returns rows.
    pub returns_rows: Option<bool>,
    last_used: u64,
}

/// SQL text → prepared statement, bounded; the least recently used entry is evicted.
/// A text is cached only when it is seen the second time, so one-off statements (migration
/// scripts) keep costing one round trip (ExecSQL/QuerySQL) instead of Prepare + Exec +
/// Finalize of an evicted entry.
#[derive(Debug)]
pub(crate) struct Cache {
    map: HashMap<String, Cached>,
    capacity: usize,
    tick: u64,
    /// Hashes of texts seen once (bounded: cleared when it grows past `SEEN_LIMIT`).
    seen: HashSet<u64>,
}

const SEEN_LIMIT: usize = 4096;

impl Cache {
    pub fn new(capacity: usize) -> Cache {
        Cache {
            map: HashMap::new(),
            capacity,
            tick: 0,
            seen: HashSet::new(),
        }
    }

    /// Records a sighting of `sql`; true if it was seen before (and so is worth preparing).
    pub fn seen_before(&mut self, sql: &str) -> bool {
        let mut h = DefaultHasher::new();
        sql.hash(&mut h);
        let key = h.finish();
        if self.seen.contains(&key) {
            return true;
        }
        if self.seen.len() >= SEEN_LIMIT {
            self.seen.clear();
        }
        self.seen.insert(key);
        false
    }

    pub fn enabled(&self) -> bool {
        self.capacity > 0
    }

    pub fn get(&mut self, sql: &str) -> Option<&Cached> {
        self.tick += 1;
        let tick = self.tick;
        match self.map.get_mut(sql) {
            Some(c) => {
                c.last_used = tick;
                Some(c)
            }
            None => None,
        }
    }

    pub fn set_returns_rows(&mut self, sql: &str, returns_rows: bool) {
        if let Some(c) = self.map.get_mut(sql) {
            c.returns_rows = Some(returns_rows);
        }
    }

    /// Inserts an entry; returns the evicted entry's id, which the caller must finalize.
    pub fn insert(
        &mut self,
        sql: &str,
        id: u32,
        serial: u64,
        params: u64,
        info: SqlInfo,
    ) -> Option<u32> {
        let mut evicted = None;
        if self.map.len() >= self.capacity {
            if let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, c)| c.last_used)
                .map(|(k, _)| k.clone())
            {
                evicted = self.map.remove(&oldest).map(|c| c.id);
            }
        }
        self.tick += 1;
        self.map.insert(
            sql.to_string(),
            Cached {
                id,
                serial,
                params,
                info,
                returns_rows: None,
                last_used: self.tick,
            },
        );
        evicted
    }

    /// Drops the entry for `sql`, returning its id for finalizing.
    pub fn remove(&mut self, sql: &str) -> Option<u32> {
        self.map.remove(sql).map(|c| c.id)
    }

    /// Empties the cache, returning every id.
    pub fn drain_ids(&mut self) -> Vec<u32> {
        self.map.drain().map(|(_, c)| c.id).collect()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_detects_reused_ids() {
        let mut r = Registry::default();
        let s0 = r.register(0);
        assert!(r.is_live(0, s0));
        r.remove(0);
        assert!(!r.contains(0));
        let s0b = r.register(0);
        assert!(!r.is_live(0, s0), "old handle must not match the reused id");
        assert!(r.is_live(0, s0b));
    }

    #[test]
    fn cache_prepares_on_the_second_sighting() {
        let mut c = Cache::new(2);
        assert!(!c.seen_before("SELECT 1"));
        assert!(c.seen_before("SELECT 1"));
        assert!(!c.seen_before("SELECT 2"));
    }

    #[test]
    fn cache_evicts_least_recently_used() {
        let mut c = Cache::new(2);
        assert_eq!(c.insert("a", 0, 1, 0, SqlInfo::default()), None);
        assert_eq!(c.insert("b", 1, 2, 0, SqlInfo::default()), None);
        assert!(c.get("a").is_some());
        assert_eq!(c.insert("c", 2, 3, 0, SqlInfo::default()), Some(1));
        assert!(c.get("b").is_none());
        assert_eq!(c.len(), 2);
        assert_eq!(c.remove("a"), Some(0));
        let mut ids = c.drain_ids();
        ids.sort();
        assert_eq!(ids, vec![2]);
    }
}
