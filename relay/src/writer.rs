//! Group commit: every write of the payment loop goes through one task that takes whatever work
//! is waiting (up to a batch), applies it in one transaction and commits once, then answers each
//! caller. Nobody hears "done" before the commit. If the database refuses a batch, each job is
//! retried alone (a few times) so one bad job cannot sink the others; if it is unreachable, or a
//! job still fails, the callers get an error (→ 5xx, and Stripe delivers again), and for a
//! moment new callers get it at once instead of queueing behind connection timeouts.
//!
//! The task runs on a thread of its own with connections of its own: a batch is a chain of
//! round trips to the database, and each answer then wakes that thread at once instead of
//! waiting behind the HTTP work queued on the shared runtime (+15 % webhooks/s on PostgreSQL).
//! It keeps its connection from one batch to the next: sqlx tests a connection given back to
//! its pool with a round trip, which the next batch would wait for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::{mpsc, oneshot};

use crate::changes::Changes;
use crate::clock::Clock;
use crate::core::Timestamp;
use crate::db::{Backend, Db};
use crate::domain::PaymentOrigin;
use crate::fulfil::{Outcome, Work, apply_batch};
use crate::metrics::Metrics;
use crate::plans::Catalogue;
use crate::renewal::apply::Effect;

const MAX_BATCH: usize = 512;
/// After the database proved unreachable, how long callers are answered at once with an error.
const UNREACHABLE_PAUSE: Duration = Duration::from_secs(1);

struct Job {
    work: Work,
    reply: oneshot::Sender<Result<Outcome, WriteError>>,
}

/// Why a write was not stored. Cloned to every caller of a failed batch, hence the `Arc`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the database could not store the change")]
pub struct WriteError {
    #[source]
    source: Arc<dyn std::error::Error + Send + Sync>,
    /// The database refused this transaction (e.g. a deadlock), rather than being unreachable.
    retryable: bool,
}

#[derive(Debug, thiserror::Error)]
enum Unavailable {
    #[error("writer stopped")]
    Stopped,
    #[error("database unreachable a moment ago; not retried yet")]
    Unreachable,
}

impl WriteError {
    fn unavailable(why: Unavailable) -> Self {
        Self {
            source: Arc::new(why),
            retryable: false,
        }
    }
}

#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

impl Writer {
    pub fn spawn(
        db: Db,
        plans: Arc<Catalogue>,
        changes: Changes,
        metrics: Metrics,
        clock: Clock,
        origin: PaymentOrigin,
    ) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(8 * MAX_BATCH);
        let mut task = Task {
            // One transaction at a time: SQLite has a single writer, and on PostgreSQL every
            // batch takes the facture numbers' lock first (see [`commit`]).
            pool: db.own_pool(1),
            conn: None,
            plans,
            changes,
            metrics,
            clock,
            origin,
        };
        std::thread::Builder::new()
            .name("relay-writer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the writer's runtime starts");
                runtime.block_on(async move {
                    let mut batch = Vec::with_capacity(MAX_BATCH);
                    let mut down_until: Option<Instant> = None;
                    // Ends when every sender is gone (the relay stopped).
                    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                        task.write(&mut batch, &mut down_until).await;
                    }
                    task.conn = None;
                    task.pool.close().await;
                });
            })
            .expect("the writer's thread starts");
        Self { tx }
    }

    /// Applies `work` durably; returns once it is committed (or failed), after writing the
    /// outcome's log line in the caller's span (a webhook event's: its id, type, and the company
    /// recorded here), so that one search follows an event from receipt to commit. The line is
    /// formatted by the caller, not by the writer's thread, which every payment waits on.
    pub async fn submit(&self, work: Work) -> Result<Outcome, WriteError> {
        let (reply, answer) = oneshot::channel();
        self.tx
            .send(Job { work, reply })
            .await
            .map_err(|_| WriteError::unavailable(Unavailable::Stopped))?;
        let outcome = answer
            .await
            .map_err(|_| WriteError::unavailable(Unavailable::Stopped))??;
        if let Some((client, _)) = outcome.change() {
            tracing::Span::current().record("client", tracing::field::display(client));
        }
        crate::fulfil::log::log(&outcome);
        Ok(outcome)
    }
}

/// What every batch is written with.
struct Task {
    pool: AnyPool,
    /// The connection kept between batches; `None` after a failure, so that the next batch
    /// takes one from the pool, which tests it first (a round trip only then) and replaces a
    /// dead one, retrying for the acquire timeout while the database is unreachable.
    conn: Option<PoolConnection<sqlx::Any>>,
    plans: Arc<Catalogue>,
    changes: Changes,
    metrics: Metrics,
    clock: Clock,
    origin: PaymentOrigin,
}

impl Task {
    /// Commits `batch` (emptied) and answers each of its callers.
    async fn write(&mut self, batch: &mut Vec<Job>, down_until: &mut Option<Instant>) {
        self.metrics.observe_batch(batch.len());
        batch.sort_by(|a, b| a.work.sort_key().cmp(b.work.sort_key()));
        let works: Vec<&Work> = batch.iter().map(|j| &j.work).collect();
        let results = match *down_until {
            // The database just proved unreachable: answer at once rather than queue
            // every caller behind another connection timeout.
            Some(until) if Instant::now() < until => {
                vec![Err(WriteError::unavailable(Unavailable::Unreachable)); works.len()]
            }
            _ => match self.commit(&works).await {
                Ok(outcomes) => {
                    *down_until = None;
                    outcomes.into_iter().map(Ok).collect()
                }
                Err(e) if !e.retryable => {
                    *down_until = Some(Instant::now() + UNREACHABLE_PAUSE);
                    vec![Err(e); works.len()]
                }
                Err(_) => {
                    let mut each = Vec::with_capacity(works.len());
                    for work in &works {
                        each.push(self.commit_alone(work).await);
                    }
                    each
                }
            },
        };
        // Waiters woken and cached statuses forgotten before anyone hears "done".
        for (job, result) in batch.drain(..).zip(results) {
            if let Ok(outcome) = &result {
                announce(outcome, &self.changes, &self.metrics);
            }
            let _ = job.reply.send(result);
        }
    }

    /// Retries one job a few times: a transaction the database aborted (a deadlock with another
    /// process's transaction touching the same client, say) succeeds when run again.
    async fn commit_alone(&mut self, work: &Work) -> Result<Outcome, WriteError> {
        let mut attempt = 1;
        loop {
            match self.commit(&[work]).await {
                Ok(mut outcomes) => return Ok(outcomes.remove(0)),
                Err(e) if attempt >= 3 || !e.retryable => return Err(e),
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10 * attempt)).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Commits one batch on the kept connection, taken from the pool when there is none. After a
    /// failure the connection goes back to the pool, which tests it (and closes it if dead).
    async fn commit(&mut self, works: &[&Work]) -> Result<Vec<Outcome>, WriteError> {
        let conn = match &mut self.conn {
            Some(conn) => conn,
            None => self
                .conn
                .insert(self.pool.acquire().await.map_err(write_failed)?),
        };
        let result = commit(
            conn,
            &self.plans,
            self.origin,
            works,
            self.clock.timestamp(),
        )
        .await;
        if result.is_err() {
            self.conn = None;
        }
        result.map_err(write_failed)
    }
}

fn write_failed(e: sqlx::Error) -> WriteError {
    tracing::error!(error = %e, "payment write failed; the sender will retry");
    WriteError {
        retryable: matches!(e, sqlx::Error::Database(_)),
        source: Arc::new(e),
    }
}

/// Applies one batch in one transaction on `conn` (see [`apply_batch`]) and commits it; the
/// outcomes, in order.
pub async fn commit(
    conn: &mut AnyConnection,
    plans: &Catalogue,
    origin: PaymentOrigin,
    works: &[&Work],
    now: Timestamp,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let begin = match Backend::of(conn) {
        Backend::Postgres => crate::db::batch::BEGIN_POSTGRES,
        Backend::Sqlite => crate::db::batch::BEGIN_SQLITE,
    };
    let mut tx = conn.begin_with(begin).await?;
    let outcomes = apply_batch(&mut tx, works, plans, origin, now).await?;
    // On PostgreSQL the tables' triggers tell the other instances what changed, at this commit.
    tx.commit().await?;
    Ok(outcomes)
}

/// Tells the other tasks what a committed outcome changed: its client's waiters and cache, the
/// metrics.
fn announce(outcome: &Outcome, changes: &Changes, metrics: &Metrics) {
    match outcome {
        Outcome::Renewal {
            effect: Effect::InvoicePaid { .. },
            ..
        } => metrics.observe_renewal(true),
        Outcome::Renewal {
            effect: Effect::PaymentFailed,
            ..
        } => metrics.observe_renewal(false),
        Outcome::WrongMode { mismatch, .. } => metrics.observe_mode_mismatch(mismatch.live_money),
        _ => {}
    }
    if let Some((client, version)) = outcome.change() {
        changes.publish(client, version);
    }
}
