//! The automatic renewals to stop at Stripe after a chargeback on a renewal invoice, so that the
//! bank is not charged again while the payment is contested: the writer records each stop in
//! the event's transaction (`renewal_stops`), and this background task of `serve` does it after
//! the commit, retrying a failure on its next round. Setting `cancel_at_period_end` twice is
//! harmless, so two instances may both do it. A won dispute does not turn renewal back on: the
//! company does, from the portal.

use std::time::Duration;

use crate::state::{AppState, stopping};

/// Does every stop still to do; how many were done.
pub async fn run_once(state: &AppState) -> Result<usize, sqlx::Error> {
    let mut done = 0;
    for stop in state.db.renewal_stops().await? {
        let outcome = state.billing.cancel_at_period_end(&stop.subscription).await;
        let error = outcome.as_ref().err().map(|e| e.to_string());
        let now = state.clock.timestamp();
        let given_up = state
            .db
            .renewal_stop_tried(&stop.dispute, error.as_deref().map_or(Ok(()), Err), now)
            .await?;
        match (&error, given_up) {
            (None, _) => {
                done += 1;
                tracing::warn!(target: "stripe_service", "Renewal of subscription {} stopped at Stripe after dispute {}", stop.subscription, stop.dispute);
            }
            (Some(e), true) => {
                tracing::error!(target: "stripe_service", "Renewal of subscription {} could not be stopped after dispute {} ({e}): stop it from Stripe's Dashboard", stop.subscription, stop.dispute);
            }
            (Some(e), false) => {
                tracing::warn!(
                    "renewal stop after dispute {} failed ({e}); retried next round",
                    stop.dispute
                );
            }
        }
    }
    Ok(done)
}

/// Runs [`run_once`] every `every` until the relay stops.
pub fn spawn(state: AppState, every: Duration) {
    tokio::spawn(async move {
        let mut shutdown = state.shutdown.clone();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stopping(&mut shutdown) => return,
            }
            if let Err(e) = run_once(&state).await {
                tracing::warn!(error = %e, "renewal stops not read; retried next round");
            }
        }
    });
}
