//! Wake-ups for long polls: one `watch` channel per client that someone is waiting on, carrying
//! the highest subscription version committed. Waiting costs a receiver and no CPU; publishing
//! touches only that client's waiters. With PostgreSQL, a LISTEN task feeds the changes its
//! triggers announce at every commit, whichever process made them, into the same channels and
//! into the status cache (which it keeps live only while connected).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

use crate::status_cache::StatusCache;

/// The latest version seen for a client, and when it was published (for wake-up latency).
pub type Stamp = (i64, Instant);

#[derive(Clone, Default)]
pub struct Changes {
    channels: Arc<Mutex<HashMap<String, watch::Sender<Stamp>>>>,
    cache: StatusCache,
}

impl Changes {
    /// Changes that also make `cache` forget their client.
    pub fn new(cache: StatusCache) -> Self {
        Self {
            channels: Arc::default(),
            cache,
        }
    }

    /// Records that `client` reached `version`; wakes its waiters if that is news.
    pub fn publish(&self, client: &str, version: i64) {
        // Forgotten before anyone wakes, so that a woken long poll reads the new status.
        self.cache.forget(client);
        let channels = self.channels.lock().unwrap();
        if let Some(tx) = channels.get(client) {
            tx.send_if_modified(|v| {
                let newer = version > v.0;
                if newer {
                    *v = (version, Instant::now());
                }
                newer
            });
        }
    }

    /// A receiver that changes when `client` passes `known` (the version the caller has read).
    pub fn subscribe(&self, client: &str, known: i64) -> watch::Receiver<Stamp> {
        let mut channels = self.channels.lock().unwrap();
        // Forget channels nobody listens to any more, so idle clients cost nothing.
        if channels.len() > 1024 {
            channels.retain(|_, tx| tx.receiver_count() > 0);
        }
        let tx = channels
            .entry(client.to_owned())
            .or_insert_with(|| watch::channel((known, Instant::now())).0);
        let rx = tx.subscribe();
        tx.send_if_modified(|v| {
            if known > v.0 {
                v.0 = known;
            }
            false
        });
        rx
    }

    pub fn waiting(&self) -> usize {
        self.channels
            .lock()
            .unwrap()
            .values()
            .map(|tx| tx.receiver_count())
            .sum()
    }
}

/// Announces a subscription's new version (`"<version>:<client>"`), a change to that client too.
const VERSIONS: &str = "erp_btp_subscription";
/// Announces any other change a status read can show (`"<client>"`).
const CLIENTS: &str = "erp_btp_client";

/// Feeds what the database's triggers announce (`migrations/postgres/0008_status_notify.sql`)
/// into `changes`, and keeps the status cache live while connected; reconnects on error.
pub fn listen_for_changes(url: String, changes: Changes) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => match listener.listen_all([VERSIONS, CLIENTS]).await {
                    Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
                    Ok(()) => {
                        changes.cache.set_live(true);
                        // `try_recv`, not `recv`: a lost connection must be seen (what was
                        // announced meanwhile is missed), not silently re-established.
                        let lost = loop {
                            match listener.try_recv().await {
                                Ok(Some(n)) => heard(&changes, n.channel(), n.payload()),
                                Ok(None) => break "closed".to_owned(),
                                Err(e) => break e.to_string(),
                            }
                        };
                        changes.cache.set_live(false);
                        tracing::warn!(error = %lost, "LISTEN connection lost; reconnecting");
                    }
                },
                Err(e) => tracing::warn!(error = %e, "LISTEN connection failed; retrying"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    })
}

fn heard(changes: &Changes, channel: &str, payload: &str) {
    match channel {
        // A moved version is also a change to the client (migration 0010): `publish` forgets
        // its cached status.
        VERSIONS => {
            if let Some((version, client)) = parse_notification(payload) {
                changes.publish(client, version);
            }
        }
        _ => changes.cache.forget(payload),
    }
}

/// Parses a `pg_notify` payload `"<version>:<client>"`.
pub fn parse_notification(payload: &str) -> Option<(i64, &str)> {
    let (version, client) = payload.split_once(':')?;
    Some((version.parse().ok()?, client))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_newer_version_wakes_only_that_clients_waiters() {
        let changes = Changes::default();
        let mut a = changes.subscribe("a", 3);
        let mut b = changes.subscribe("b", 1);
        changes.publish("a", 3);
        assert!(!a.has_changed().unwrap(), "same version is no news");
        changes.publish("a", 4);
        a.changed().await.unwrap();
        assert_eq!(a.borrow().0, 4);
        assert!(!b.has_changed().unwrap());
        changes.publish("b", 2);
        b.changed().await.unwrap();
    }

    #[test]
    fn notifications_parse() {
        assert_eq!(parse_notification("12:39"), Some((12, "39")));
        assert_eq!(parse_notification("x:39"), None);
    }
}
