//! Webhook events and their delivery as Stripe does it: an `event` object, a `Stripe-Signature`
//! header (`t=…,v1=…` with one `v1` per active secret), retries with backoff on anything but 2xx,
//! and, on demand, held/reordered, duplicated and delayed deliveries.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::Sandbox;

/// The one API version the sandbox speaks in every object and event: the one the relay pins
/// (async-stripe's `stripe_shared::version::VERSION`, checked by the relay's tests).
pub const API_VERSION: &str = "2026-09-30.endive";

/// Hex HMAC-SHA256 of `"<timestamp>.<payload>"`, keyed with the whole `whsec_…` string.
pub fn sign(secret: &str, timestamp: i64, payload: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

/// The `Stripe-Signature` header value, with one `v1` per secret as during a secret roll.
pub fn signature_header(secrets: &[String], timestamp: i64, payload: &[u8]) -> String {
    let mut header = format!("t={timestamp}");
    for secret in secrets {
        header.push_str(",v1=");
        header.push_str(&sign(secret, timestamp, payload));
    }
    header
}

/// Where events go.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    pub secrets: Vec<String>,
}

/// Retry schedule: `initial`, then doubling, for at most `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub initial: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max_attempts: 6,
        }
    }
}

/// Delivery behaviour that tests switch on demand.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct DeliveryOptions {
    /// Keep events instead of sending them, until `flush`.
    pub hold: bool,
    /// Extra copies of each event, sent concurrently with the first.
    pub duplicates: u32,
    /// Wait this long before the first attempt.
    pub delay_ms: u64,
    /// Record events (they are listed by `GET /v1/events`) but never send them: lost webhooks,
    /// for reconciliation to repair.
    pub drop: bool,
}

/// Most extra copies of an event the options accept.
pub const MAX_DUPLICATES: u32 = 10;
/// Longest delivery delay the options accept: one hour.
pub const MAX_DELAY_MS: u64 = 3_600_000;

impl DeliveryOptions {
    /// Bounded, so that the control endpoint cannot be made to flood the relay or hold
    /// deliveries for ever.
    pub fn check(&self) -> Result<(), crate::error::StripeError> {
        if self.duplicates > MAX_DUPLICATES {
            return Err(crate::error::StripeError::invalid(
                "duplicates",
                format!("At most {MAX_DUPLICATES} duplicates."),
            ));
        }
        if self.delay_ms > MAX_DELAY_MS {
            return Err(crate::error::StripeError::invalid(
                "delay_ms",
                format!("At most {MAX_DELAY_MS} ms (one hour)."),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlushOrder {
    Forward,
    Reverse,
}

/// One delivery attempt, kept for inspection.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryRecord {
    pub event_id: String,
    pub event_type: String,
    pub attempt: u32,
    /// HTTP status, or 0 when the endpoint could not be reached.
    pub status: u16,
}

/// An event ready to send: its id, type and serialised body.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub event_type: String,
    pub body: String,
    /// Stripe's `created`: the time of the clock the event happened on.
    pub created: i64,
}

/// Sends one event to the target until it is acknowledged or the attempts run out.
pub(crate) async fn deliver(
    sandbox: Sandbox,
    target: WebhookTarget,
    event: Event,
    delay: Duration,
) {
    tokio::time::sleep(delay).await;
    let policy = sandbox.retry_policy();
    let mut backoff = policy.initial;
    for attempt in 1..=policy.max_attempts {
        let now = crate::now();
        let header = signature_header(&target.secrets, now, event.body.as_bytes());
        let status = sandbox
            .http()
            .post(&target.url)
            .header("content-type", "application/json; charset=utf-8")
            .header(
                "user-agent",
                "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            )
            .header("stripe-signature", header)
            .body(event.body.clone())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        sandbox.record(DeliveryRecord {
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            attempt,
            status,
        });
        if (200..300).contains(&status) {
            return;
        }
        tracing::warn!(event = %event.id, attempt, status, "webhook delivery failed, will retry");
        if attempt < policy.max_attempts {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_stripe_nodes_known_vector() {
        // stripe-node crypto tests: HMAC-SHA256 keyed "test_secret" over the empty string.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"test_secret").unwrap();
        mac.update(b"");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd"
        );
    }

    #[test]
    fn header_has_one_v1_per_secret_over_timestamp_dot_body() {
        let secrets = vec!["whsec_old".to_owned(), "whsec_new".to_owned()];
        let header = signature_header(&secrets, 1_700_000_000, b"{}");
        let parts: Vec<&str> = header.split(',').collect();
        assert_eq!(parts[0], "t=1700000000");
        assert_eq!(
            parts[1],
            format!("v1={}", sign("whsec_old", 1_700_000_000, b"{}"))
        );
        assert_eq!(
            parts[2],
            format!("v1={}", sign("whsec_new", 1_700_000_000, b"{}"))
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_new").unwrap();
        mac.update(b"1700000000.{}");
        assert_eq!(
            parts[2],
            format!("v1={}", hex::encode(mac.finalize().into_bytes()))
        );
    }
}
