//! Wake-ups for long polls: one `watch` channel per client that someone is waiting on, carrying
//! the highest subscription version committed. Waiting costs a receiver and no CPU; publishing
//! touches only that client's waiters. With PostgreSQL, a LISTEN task feeds changes committed by
//! other relay instances into the same channels.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::sync::watch;

/// The latest version seen for a client, and when it was published (for wake-up latency).
pub type Stamp = (i64, Instant);

#[derive(Clone, Default)]
pub struct Changes {
    channels: Arc<Mutex<HashMap<String, watch::Sender<Stamp>>>>,
}

impl Changes {
    /// Records that `client` reached `version`; wakes its waiters if that is news.
    pub fn publish(&self, client: &str, version: i64) {
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

/// Feeds `pg_notify` payloads committed by any instance into `changes`; reconnects on error.
pub fn listen_for_changes(url: String, changes: Changes) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => match listener.listen("erp_btp_subscription").await {
                    Err(e) => tracing::warn!(error = %e, "LISTEN failed"),
                    Ok(()) => loop {
                        match listener.recv().await {
                            Ok(n) => {
                                if let Some((version, client)) = parse_notification(n.payload()) {
                                    changes.publish(client, version);
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                                break;
                            }
                        }
                    },
                },
                Err(e) => tracing::warn!(error = %e, "LISTEN connection failed; retrying"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    })
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
