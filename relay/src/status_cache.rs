//! The status reads' cache, by token hash: every desktop app polls its status, and on
//! PostgreSQL each read costs the database far more than the relay's own work. It is only
//! consulted while this instance hears every change a status can show: PostgreSQL's triggers
//! announce each change to a client, its subscription or its pending sessions at commit
//! (`migrations/postgres/0008_status_notify.sql`, `0010`, `0011`), the LISTEN task forgets the
//! client here, and the writer forgets its own commits before answering. Without a live LISTEN
//! connection (always on SQLite, where `relay clients revoke` runs in another process and nothing
//! would tell this one) nothing is served from it; a reconnection starts it empty. An entry also
//! ages out after [`TTL`], which bounds what a silently dead connection could leave stale.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::db::subscriptions::SubscriptionRow;
use crate::domain::ClientId;

/// Longest an entry is served, even when no change was announced.
pub const TTL: Duration = Duration::from_secs(1);
/// Beyond this many entries the cache starts again empty (a few hundred bytes each).
const MAX_ENTRIES: usize = 100_000;

#[derive(Clone, Default)]
pub struct StatusCache(Arc<Inner>);

#[derive(Default)]
struct Inner {
    /// Whether every change is being heard (the LISTEN connection is up).
    live: AtomicBool,
    /// Grows at every change heard: a read that began before one may be stale, and is not kept.
    epoch: AtomicU64,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_hash: HashMap<String, Entry>,
    /// A client's token hash, to forget it by client.
    hash_of: HashMap<ClientId, String>,
}

struct Entry {
    client: ClientId,
    row: SubscriptionRow,
    read_at: Instant,
}

impl StatusCache {
    /// What a read of `hash` answered less than [`TTL`] ago, if the cache is live.
    pub fn get(&self, hash: &str) -> Option<(ClientId, SubscriptionRow)> {
        if !self.is_live() {
            return None;
        }
        let entries = self.0.entries.lock().unwrap();
        let entry = entries.by_hash.get(hash)?;
        (entry.read_at.elapsed() < TTL).then(|| (entry.client.clone(), entry.row.clone()))
    }

    /// Whether it is consulted: every change is being heard.
    pub fn is_live(&self) -> bool {
        self.0.live.load(Ordering::Acquire)
    }

    /// Taken before a read from the database, and handed back to [`Self::keep`].
    pub fn epoch(&self) -> u64 {
        self.0.epoch.load(Ordering::Acquire)
    }

    /// Keeps what a read that began at `epoch` found, unless a change was heard since.
    pub fn keep(&self, epoch: u64, read_at: Instant, rows: &[(String, ClientId, SubscriptionRow)]) {
        if !self.is_live() || rows.is_empty() {
            return;
        }
        let mut entries = self.0.entries.lock().unwrap();
        // Under the lock, as `forget` bumps it: no change can slip between this check and the insert.
        if self.epoch() != epoch {
            return;
        }
        if entries.by_hash.len() + rows.len() > MAX_ENTRIES {
            *entries = Entries::default();
        }
        for (hash, client, row) in rows {
            if let Some(old) = entries.hash_of.insert(client.clone(), hash.clone()) {
                entries.by_hash.remove(&old);
            }
            let entry = Entry {
                client: client.clone(),
                row: row.clone(),
                read_at,
            };
            entries.by_hash.insert(hash.clone(), entry);
        }
    }

    /// A change to `client` was committed: its status is read again next time.
    pub fn forget(&self, client: &str) {
        let mut entries = self.0.entries.lock().unwrap();
        self.0.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some(hash) = entries.hash_of.remove(client) {
            entries.by_hash.remove(&hash);
        }
    }

    /// Whether every change is heard from now on; either way, what was kept is dropped (changes
    /// made while nothing listened were missed).
    pub fn set_live(&self, live: bool) {
        let mut entries = self.0.entries.lock().unwrap();
        self.0.epoch.fetch_add(1, Ordering::AcqRel);
        *entries = Entries::default();
        self.0.live.store(live, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: i64) -> SubscriptionRow {
        SubscriptionRow {
            plan: crate::domain::PlanId::parse("mensuel"),
            expires_at: Some(1_000),
            version,
            payment_pending: false,
            renewal: Default::default(),
            money_back: None,
        }
    }

    fn read(client: &str, version: i64) -> Vec<(String, ClientId, SubscriptionRow)> {
        let id = ClientId::parse(client).unwrap();
        vec![(format!("hash-{client}"), id, row(version))]
    }

    #[test]
    fn nothing_is_served_until_every_change_is_heard() {
        let cache = StatusCache::default();
        cache.keep(cache.epoch(), Instant::now(), &read("39", 1));
        assert_eq!(cache.get("hash-39"), None);
        cache.set_live(true);
        cache.keep(cache.epoch(), Instant::now(), &read("39", 1));
        assert_eq!(cache.get("hash-39").unwrap().1.version, 1);
        cache.set_live(false);
        assert_eq!(cache.get("hash-39"), None, "a lost connection empties it");
    }

    #[test]
    fn a_change_forgets_that_client_only() {
        let cache = StatusCache::default();
        cache.set_live(true);
        cache.keep(cache.epoch(), Instant::now(), &read("39", 1));
        cache.keep(cache.epoch(), Instant::now(), &read("40", 1));
        cache.forget("39");
        assert_eq!(cache.get("hash-39"), None);
        assert!(cache.get("hash-40").is_some());
    }

    #[test]
    fn a_read_that_began_before_a_change_is_not_kept() {
        let cache = StatusCache::default();
        cache.set_live(true);
        let began = cache.epoch();
        cache.forget("39");
        cache.keep(began, Instant::now(), &read("39", 1));
        assert_eq!(cache.get("hash-39"), None);
    }

    #[test]
    fn an_entry_ages_out() {
        let cache = StatusCache::default();
        cache.set_live(true);
        cache.keep(cache.epoch(), Instant::now() - TTL, &read("39", 1));
        assert_eq!(cache.get("hash-39"), None);
    }
}
