//! Reconciliation with Stripe's event list: webhooks lost on the way (an outage, a firewall, an
//! endpoint disabled for days) are found in `GET /v1/events` (Stripe keeps 30 days) and applied
//! through the webhook's own path (the same `prepare`, writer and journal), oldest first. An
//! event already in the journal is skipped; one that a live webhook delivers at the same moment
//! is journalled once (the journal's key), and its effect is guarded like any duplicate.

use std::time::Duration;

use crate::core::event::EventKind;
use crate::error::AppError;
use crate::fulfil::{Outcome, prepare};
use crate::state::AppState;
use crate::stripe::parse_event;

/// What one run did: a French line per event, and the counts.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub applied: usize,
    pub already: usize,
    pub rejected: usize,
}

impl Report {
    pub fn summary(&self) -> String {
        format!(
            "Réconciliation terminée : {} événement(s) Stripe examiné(s), {} appliqué(s), {} déjà appliqué(s), {} rejeté(s).",
            self.applied + self.already + self.rejected,
            self.applied,
            self.already,
            self.rejected
        )
    }
}

/// Applies the events of the last `since` seconds (on the relay's clock) that the journal lacks.
pub async fn run(state: &AppState, since: i64) -> Result<Report, AppError> {
    let from = state.clock.now().saturating_sub(since);
    let mut events = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = state
            .billing
            .events(&EventKind::HANDLED, from, after.as_deref())
            .await?;
        after = page
            .events
            .last()
            .and_then(|e| e.get("id")?.as_str().map(str::to_owned));
        let done = !page.has_more || after.is_none();
        events.extend(page.events);
        if done {
            break;
        }
    }
    events.reverse();
    let ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.get("id")?.as_str().map(str::to_owned))
        .collect();
    let journalled = state.db.journalled(&ids).await?;
    let mut report = Report::default();
    for (id, event) in ids.iter().zip(&events) {
        let kind = event.get("type").and_then(|t| t.as_str()).unwrap_or("?");
        let said = if journalled.contains(id) {
            report.already += 1;
            "déjà appliqué".to_owned()
        } else {
            let payload = event.to_string();
            match apply(state, payload).await? {
                Ok(outcome) if outcome == Outcome::Duplicate => {
                    report.already += 1;
                    "déjà appliqué".to_owned()
                }
                Ok(Outcome::Rejected(rejection)) => {
                    report.rejected += 1;
                    format!("rejeté : {}", rejection.message_fr())
                }
                Err(reason) => {
                    report.rejected += 1;
                    format!("rejeté : {reason}")
                }
                Ok(Outcome::WrongMode { mismatch, .. }) => {
                    report.rejected += 1;
                    format!("rejeté : {}", mismatch.reason())
                }
                Ok(_) => {
                    report.applied += 1;
                    "appliqué".to_owned()
                }
            }
        };
        report.lines.push(format!("{id} {kind} : {said}"));
    }
    Ok(report)
}

/// Runs a verified event's body through the webhook's path (`prepare`, then the writer, which
/// journals it): its outcome, or why it is not an event. Reconciliation and the console's
/// « Rejouer » both apply events this way.
pub async fn apply(state: &AppState, payload: String) -> Result<Result<Outcome, String>, AppError> {
    let event = match parse_event(payload.as_bytes()) {
        Ok(event) => event,
        Err(e) => return Ok(Err(e)),
    };
    let work = prepare(&state.billing, event, payload).await?;
    Ok(Ok(state.writer.submit(work).await?))
}

/// `RELAY_RECONCILE_EVERY` inside `serve`: each run looks back three periods (at least a day),
/// so that a run missed during an outage is covered by the next.
pub fn spawn_schedule(state: AppState, every: Duration) {
    tokio::spawn(async move {
        let mut shutdown = state.shutdown.clone();
        let look_back = (3 * every.as_secs() as i64).max(86_400);
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = crate::state::stopping(&mut shutdown) => return,
            }
            match run(&state, look_back).await {
                Ok(report) if report.applied + report.rejected > 0 => {
                    tracing::warn!(target: "stripe_service", "{}", report.summary());
                }
                Ok(_) => tracing::debug!("reconciliation found nothing missing"),
                Err(e) => {
                    tracing::error!(error = %crate::error::chain(&e), "reconciliation failed; next run will retry")
                }
            }
        }
    });
}
