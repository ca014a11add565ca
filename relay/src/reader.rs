//! Batched status reads: the status endpoint is polled by every desktop app, and each database
//! round trip costs far more than the row it reads. A read is answered from the status cache
//! when it is live (PostgreSQL, see `status_cache.rs`); otherwise concurrent reads are gathered
//! and answered by one query (two batches at once), so revocations and payments are still seen
//! on the very next request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::db::Db;
use crate::db::subscriptions::SubscriptionRow;
use crate::domain::ClientId;
use crate::status_cache::StatusCache;

const MAX_BATCH: usize = 256;
/// Batches read at once: the next batch gathers while one is at the database. More only splits
/// the same reads into more queries (measured: 2 ≈ 1 ≥ 4 on PostgreSQL here).
const IN_FLIGHT: usize = 2;

/// Why a read failed; shared by every caller of the failed batch.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ReadError {
    #[error("the status read failed")]
    Database(#[source] Arc<sqlx::Error>),
    #[error("the reader stopped")]
    Stopped,
}

type Answer = Result<Option<(ClientId, SubscriptionRow)>, ReadError>;

#[derive(Clone)]
pub struct Reader {
    tx: mpsc::Sender<(String, oneshot::Sender<Answer>)>,
    cache: StatusCache,
}

impl Reader {
    pub fn spawn(db: Db) -> Self {
        let cache = db.status_cache.clone();
        let (tx, mut rx) = mpsc::channel::<(String, oneshot::Sender<Answer>)>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
            loop {
                // Gather only once a query may start: what arrives meanwhile joins this batch.
                let permit = in_flight
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("never closed");
                let mut batch = Vec::with_capacity(MAX_BATCH);
                if rx.recv_many(&mut batch, MAX_BATCH).await == 0 {
                    break;
                }
                let db = db.clone();
                tokio::spawn(async move {
                    answer(&db, batch).await;
                    drop(permit);
                });
            }
        });
        Self { tx, cache }
    }

    /// The client owning `token` (not revoked) and its subscription.
    pub async fn subscription_for_token(&self, token: &str) -> Answer {
        let hash = crate::db::clients::hash_token(token);
        if let Some(hit) = self.cache.get(&hash) {
            return Ok(Some(hit));
        }
        let (reply, answer) = oneshot::channel();
        self.tx
            .send((hash, reply))
            .await
            .map_err(|_| ReadError::Stopped)?;
        answer.await.map_err(|_| ReadError::Stopped)?
    }
}

/// Answers every caller of `batch` from one query, and keeps what it found in the cache.
async fn answer(db: &Db, batch: Vec<(String, oneshot::Sender<Answer>)>) {
    let cache = &db.status_cache;
    let mut hashes: Vec<String> = batch.iter().map(|(h, _)| h.clone()).collect();
    hashes.sort();
    hashes.dedup();
    let (epoch, began) = (cache.epoch(), Instant::now());
    match db.subscriptions_for_token_hashes(&hashes).await {
        Ok(rows) => {
            cache.keep(epoch, began, &rows);
            let found: HashMap<String, (ClientId, SubscriptionRow)> = rows
                .into_iter()
                .map(|(hash, id, row)| (hash, (id, row)))
                .collect();
            for (hash, reply) in batch {
                let _ = reply.send(Ok(found.get(&hash).cloned()));
            }
        }
        Err(e) => {
            let e = ReadError::Database(Arc::new(e));
            for (_, reply) in batch {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}
