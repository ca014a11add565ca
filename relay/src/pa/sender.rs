//! The outbox's sender: each tick it queues the documents issued since the last one, claims the
//! messages due (a lease, so that two instances never send the same one), and sends each. A
//! message whose earlier attempt may have reached the platform (claimed again with no flow id:
//! the instance died, or the answer was lost) is first searched by its `trackingId` and the flow
//! found adopted, so that a document is sent once. A platform that is down or slow gets the
//! message again later (2 s doubling to 10 min); one that refuses it fails it, logged in French.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::client::{PaClient, PaError};
use super::message::{self, Unbuildable};
use super::{LEASE_SECS, Pace, backoff};
use crate::db::transmissions::{Claimed, Message};
use crate::state::{AppState, stopping};

const BATCH: i64 = 16;

pub async fn run(state: AppState, client: Arc<PaClient>, every: Duration) {
    let mut stop = state.shutdown.clone();
    let mut pace = Pace::new(&state);
    let mut yielded = 0;
    loop {
        let loaded = pace.loaded();
        // Under load the sender waits, its queueing and its commits included: on SQLite every
        // write of its own takes the one write lock and the disk from the payments. After
        // `Pace::YIELD` seconds of it, one message goes all the same.
        if loaded && yielded < Pace::YIELD {
            yielded += 1;
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                _ = stopping(&mut stop) => return,
            }
        }
        yielded = 0;
        let limit = if loaded { 1 } else { BATCH };
        let sent = match tick(&state, &client, limit).await {
            Ok(sent) => sent,
            Err(e) => {
                tracing::warn!(error = %e, "transmission: outbox unreadable");
                0
            }
        };
        let wait = match (loaded, sent) {
            (true, _) => Some(Duration::from_secs(1)),
            (false, 0) => Some(every),
            (false, _) => None,
        };
        if let Some(wait) = wait {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stopping(&mut stop) => return,
            }
        }
    }
}

/// One pass: queue, claim up to `limit`, send. How many messages were claimed.
pub async fn tick(state: &AppState, client: &PaClient, limit: i64) -> Result<usize, sqlx::Error> {
    let now = state.clock.timestamp();
    let since = state.db.pa_since(now).await?;
    state
        .db
        .pa_enqueue(since, !state.settings.pa.vat_on_debits, now)
        .await?;
    let claimed = state
        .db
        .pa_claim(now, now.unix() + LEASE_SECS, limit)
        .await?;
    for c in &claimed {
        send(state, client, c).await?;
    }
    Ok(claimed.len())
}

async fn send(state: &AppState, client: &PaClient, c: &Claimed) -> Result<(), sqlx::Error> {
    let tracking = message::tracking_id(c.key);
    let now = state.clock.timestamp();
    if c.flow_id.is_none() && c.attempts > 1 {
        let filters = json!({"trackingId": tracking, "flowDirection": ["Out"]});
        match client.search(filters).await {
            Ok(found) => {
                let earlier = found.into_iter().find(|f| {
                    f.tracking_id.as_deref() == Some(tracking.as_str())
                        && f.acknowledgement
                            .as_ref()
                            .is_none_or(|a| a.status != "Error")
                });
                if let Some(flow) = earlier {
                    tracing::info!(document = %tracking, flow_id = %flow.flow_id, "transmission: earlier flow adopted");
                    return state.db.pa_sent(c.key, &flow.flow_id, now).await;
                }
            }
            Err(e) => return retry(state, c, &tracking, &e.to_string()).await,
        }
    }
    let outgoing = match message::build(state, c.key).await {
        Ok(outgoing) => outgoing,
        Err(Unbuildable::Db(e)) => return Err(e),
        Err(e) => {
            tracing::error!(document = %tracking, "transmission impossible de {tracking} : {e}");
            return state.db.pa_failed(c.key, &e.to_string()).await;
        }
    };
    match client.submit(&outgoing).await {
        Ok(accepted) => {
            state.metrics.pa.observe_sent();
            tracing::info!(
                document = %tracking,
                flow_id = %accepted.flow_id,
                kind = match c.key.message { Message::Document => "document", Message::Payment => "212" },
                "transmission: flow accepted by the platform"
            );
            state.db.pa_sent(c.key, &accepted.flow_id, now).await
        }
        Err(PaError::Unavailable(e)) => retry(state, c, &tracking, &e).await,
        Err(e @ PaError::Refused { .. }) => {
            state.metrics.pa.observe_refused();
            tracing::error!(document = %tracking, "la plateforme agréée a refusé {tracking} : {e}");
            state.db.pa_failed(c.key, &e.to_string()).await
        }
    }
}

async fn retry(
    state: &AppState,
    c: &Claimed,
    tracking: &str,
    error: &str,
) -> Result<(), sqlx::Error> {
    let wait = backoff(c.attempts);
    tracing::warn!(document = %tracking, attempts = c.attempts, retry_in_secs = wait, error = %error, "transmission: platform unavailable, will retry");
    let next = state.clock.now() + wait;
    state.db.pa_retry(c.key, error, next).await
}
