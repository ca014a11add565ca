//! Transmission to the approved platform (PA_MODE=on): every facture and avoir issued since
//! transmission was turned on is sent once as a Factur-X flow, and, unless the seller opted for
//! VAT on debits, each payment (or refund) is reported with a CDAR 212 « Encaissée ». The
//! documents' tables are the outbox ([`crate::db::transmissions`]); [`sender`] sends what is
//! due with retries and back-off, [`tracker`] reads the acknowledgements and the lifecycle
//! statuses the platform sends back. Neither ever runs on a webhook's path.
//!
//! Assumptions to confirm with the chosen platform: `flowProfile` `CIUS` for Factur-X's EN 16931
//! profile and `processingRule` `B2B` (domestic B2B e-invoicing).

pub mod cdar;
pub mod client;
mod message;
pub mod sender;
pub mod tracker;

use std::sync::Arc;
use std::time::Duration;

use crate::db::transmissions::Transmission;
use crate::state::AppState;
use client::PaClient;

/// How long an instance holds a claimed message before another may take it over.
pub const LEASE_SECS: i64 = 120;

/// Starts the sender and the tracker when transmission is on.
pub fn spawn(state: &AppState, every: Duration) {
    let Some(api) = state.settings.pa.api.clone() else {
        return;
    };
    let client = Arc::new(PaClient::new(api));
    tokio::spawn(sender::run(state.clone(), client.clone(), every));
    tokio::spawn(tracker::run(state.clone(), client, every));
}

/// Payments first: a facture is due at the platform within days, a webhook's answer within
/// seconds. While the writer is under load (more than [`Pace::LOAD`] batches a second since the
/// last look), the sender waits (one message every [`Pace::YIELD`] seconds all the same) and the
/// tracker reads every ten seconds, so that their rendering, their commits and the platform's
/// answers never slow a payment.
pub struct Pace {
    metrics: crate::metrics::Metrics,
    seen: u64,
    at: std::time::Instant,
}

impl Pace {
    /// Writer batches per second since the previous look that mean load (a few payments a
    /// second do not; a burst of webhooks does).
    pub const LOAD: u64 = 20;
    /// Seconds of load the sender waits before it moves one message all the same.
    pub const YIELD: u32 = 60;

    pub fn new(state: &AppState) -> Self {
        Self {
            metrics: state.metrics.clone(),
            seen: state.metrics.batches(),
            at: std::time::Instant::now(),
        }
    }

    /// Whether the writer was under load since the previous call.
    pub fn loaded(&mut self) -> bool {
        let now = self.metrics.batches();
        let secs = self.at.elapsed().as_secs_f64().max(0.05);
        let loaded = now.saturating_sub(self.seen) as f64 / secs > Self::LOAD as f64;
        self.seen = now;
        self.at = std::time::Instant::now();
        loaded
    }
}

/// The wait before attempt `attempts + 1`: 2 s doubling up to 10 minutes.
pub fn backoff(attempts: i64) -> i64 {
    2i64.saturating_pow(attempts.clamp(1, 20) as u32).min(600)
}

/// Where a document stands with the platform, from its stored message (none: never queued).
pub fn standing(t: Option<&Transmission>) -> (erp_btp_protocol::Transmission, Option<i64>) {
    use erp_btp_protocol::Transmission as T;
    let Some(t) = t else {
        return (T::NotSent, None);
    };
    let by_status = t.status_code.map(|code| match code {
        200 | 201 => T::Deposited,
        202..=204 | 211 | 212 => T::Received,
        205 | 206 => T::Approved,
        207 | 208 => T::Disputed,
        210 => T::Refused,
        213 => T::Rejected,
        _ => T::Unknown,
    });
    match (t.state.as_str(), by_status) {
        (_, Some(state)) => (state, t.status_at),
        ("failed", None) => (T::Failed, t.sent_at),
        ("sent", None) => (T::Sent, t.sent_at),
        _ => (T::NotSent, None),
    }
}

/// Where a message stands, as an operator reads it (`relay pa list`, the console): the latest
/// status with its reason, an error, or where it waits.
pub fn described(t: &Transmission) -> String {
    match (t.state.as_str(), t.status_code) {
        (_, Some(code)) => {
            let reason = t
                .status_reason
                .as_deref()
                .map(|r| format!(" : {r}"))
                .unwrap_or_default();
            format!("{code} {}{reason}", cdar::label(code as u16))
        }
        ("failed", None) => format!(
            "en erreur : {}",
            t.ack_detail
                .as_deref()
                .filter(|d| !d.is_empty())
                .or(t.last_error.as_deref())
                .unwrap_or("refusé par la plateforme")
        ),
        ("sent", None) => "transmis, en attente de statut".into(),
        (_, None) => match &t.last_error {
            Some(e) => format!(
                "en attente d'envoi ({} essai(s) ; dernier : {e})",
                t.attempts
            ),
            None => "en attente d'envoi".into(),
        },
    }
}

/// Still to be dealt with: refused or failed, and a rejected facture not yet replaced.
pub fn is_problem(t: &Transmission) -> bool {
    t.replaced_by.is_none() && (t.state == "failed" || matches!(t.status_code, Some(210 | 213)))
}

/// What the operator does next about a message, when anything (`relay pa list`, the console).
pub fn next_step(t: &Transmission) -> Option<String> {
    let step = match (t.state.as_str(), t.status_code) {
        (_, Some(213)) if t.replaced_by.is_some() => {
            let key = t.replaced_by.unwrap_or_default();
            let by = crate::core::numbering::number(
                crate::core::numbering::Series::Facture,
                key / 1_000_000,
                key % 1_000_000,
            );
            return Some(format!("→ remplacée par {by}"));
        }
        ("void", _) => "(sans objet : facture rejetée, remplacée)",
        (_, Some(213)) => {
            "→ corriger la cause, puis relay pa resend (une nouvelle facture la remplace)"
        }
        (_, Some(210)) => {
            "→ voir avec l'acheteur ; relay refund émet l'avoir si le refus est fondé"
        }
        ("failed", _) => "→ corriger la cause, puis relay pa resend",
        _ => return None,
    };
    Some(step.to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_from_two_seconds_to_ten_minutes() {
        let waits: Vec<i64> = (1..=11).map(super::backoff).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]);
    }

    #[test]
    fn a_document_stands_where_its_latest_status_or_its_sending_says() {
        use crate::core::numbering::Series;
        use crate::db::transmissions::{Key, Message, Transmission};
        use erp_btp_protocol::Transmission as T;
        let row = |state: &str, code: Option<i64>| Transmission {
            key: Key {
                series: Series::Facture,
                doc: 2026000001,
                message: Message::Document,
            },
            client: "acme".into(),
            state: state.into(),
            attempts: 1,
            flow_id: None,
            ack_status: None,
            ack_detail: None,
            last_error: None,
            sent_at: Some(10),
            status_code: code,
            status_reason: None,
            status_at: code.map(|_| 20),
            replaced_by: None,
        };
        assert_eq!(super::standing(None), (T::NotSent, None));
        assert_eq!(
            super::standing(Some(&row("queued", None))),
            (T::NotSent, None)
        );
        assert_eq!(
            super::standing(Some(&row("sent", None))),
            (T::Sent, Some(10))
        );
        assert_eq!(
            super::standing(Some(&row("failed", None))),
            (T::Failed, Some(10))
        );
        for (code, want) in [
            (200, T::Deposited),
            (202, T::Received),
            (205, T::Approved),
            (207, T::Disputed),
            (210, T::Refused),
            (213, T::Rejected),
            (299, T::Unknown),
        ] {
            assert_eq!(
                super::standing(Some(&row("sent", Some(code)))),
                (want, Some(20)),
                "{code}"
            );
        }
    }
}
