//! Prometheus text metrics, kept by hand (a few counters need no exporter crate): requests by
//! route and status, write batch sizes, webhook outcomes, long polls waiting and wake-up latency.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

const WAKE_BUCKETS_MS: [f64; 8] = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 500.0];
/// Refused requests logged per second at most; the rest are only counted, so that a flood of
/// bad requests cannot stall the server on its log.
const REFUSED_LOGS_PER_SEC: u32 = 20;

/// Set on a response by `AppError`: the request was refused with this stable code, for this
/// reason (English, for the log).
#[derive(Debug, Clone)]
pub struct Refused {
    pub code: &'static str,
    pub reason: String,
}

/// Set on a response by `AppError`: the request failed on the relay's side (storage, Stripe,
/// a facture), with this stable code and the error's causes.
#[derive(Debug, Clone)]
pub struct Failed {
    pub code: &'static str,
    pub error: String,
}

#[derive(Clone, Default)]
pub struct Metrics {
    inner: Arc<Inner>,
    /// Transmission to the approved platform.
    pub pa: crate::pa_metrics::PaMetrics,
}

#[derive(Default)]
struct Inner {
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    webhooks: Mutex<BTreeMap<String, u64>>,
    batches: AtomicU64,
    batched_jobs: AtomicU64,
    wake_buckets: [AtomicU64; WAKE_BUCKETS_MS.len()],
    wake_count: AtomicU64,
    wake_sum_us: AtomicU64,
    refused: Mutex<BTreeMap<&'static str, u64>>,
    renewals_paid: AtomicU64,
    renewals_failed: AtomicU64,
    /// Events refused for their `livemode`: test money on a live relay, real money on a test one.
    test_money_refused: AtomicU64,
    live_money_refused: AtomicU64,
    factures_rendered: AtomicU64,
    buyer_vat_left_out: AtomicU64,
    /// Start of the current second and the refused requests logged in it.
    log_window: Mutex<Option<(Instant, u32)>>,
}

impl Metrics {
    /// Webhook events of outcome kind `kind` (`fulfilled`, `duplicate`, `rejected`…) since start.
    pub fn webhook_outcomes(&self, kind: &str) -> u64 {
        self.inner
            .webhooks
            .lock()
            .unwrap()
            .get(kind)
            .copied()
            .unwrap_or(0)
    }

    /// How this instance answered `route` since it started: 2xx, 4xx, 5xx.
    pub fn answers(&self, route: &str) -> [u64; 3] {
        let mut out = [0; 3];
        for ((r, status), n) in self.inner.requests.lock().unwrap().iter() {
            match (r == route, status / 100) {
                (true, 2) => out[0] += n,
                (true, 4) => out[1] += n,
                (true, 5) => out[2] += n,
                _ => {}
            }
        }
        out
    }

    pub fn observe_request(&self, route: &str, status: u16) {
        *self
            .inner
            .requests
            .lock()
            .unwrap()
            .entry((route.to_owned(), status))
            .or_default() += 1;
    }

    pub fn observe_webhook(&self, outcome: &str) {
        // Rejection reasons carry details; the metric keeps the kind only.
        let kind = outcome.split(':').next().unwrap_or(outcome).to_owned();
        *self.inner.webhooks.lock().unwrap().entry(kind).or_default() += 1;
    }

    /// Counts a refused request; true when it may also be logged (within this second's budget).
    pub fn observe_refused(&self, code: &'static str) -> bool {
        *self.inner.refused.lock().unwrap().entry(code).or_default() += 1;
        let mut window = self.inner.log_window.lock().unwrap();
        let now = Instant::now();
        match &mut *window {
            Some((start, n)) if now.duration_since(*start).as_secs() < 1 => {
                *n += 1;
                *n <= REFUSED_LOGS_PER_SEC
            }
            _ => {
                *window = Some((now, 1));
                true
            }
        }
    }

    pub fn observe_renewal(&self, paid: bool) {
        let counter = if paid {
            &self.inner.renewals_paid
        } else {
            &self.inner.renewals_failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe_mode_mismatch(&self, live_money: bool) {
        let counter = match live_money {
            true => &self.inner.live_money_refused,
            false => &self.inner.test_money_refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// A facture's document made; `vat_left_out` when the buyer's VAT number was not put on it.
    pub fn observe_facture(&self, vat_left_out: bool) {
        self.inner.factures_rendered.fetch_add(1, Ordering::Relaxed);
        if vat_left_out {
            self.inner
                .buyer_vat_left_out
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Transactions the writer committed so far.
    pub fn batches(&self) -> u64 {
        self.inner.batches.load(Ordering::Relaxed)
    }

    pub fn observe_batch(&self, jobs: usize) {
        self.inner.batches.fetch_add(1, Ordering::Relaxed);
        self.inner
            .batched_jobs
            .fetch_add(jobs as u64, Ordering::Relaxed);
    }

    pub fn observe_wake(&self, since_commit: std::time::Duration) {
        let ms = since_commit.as_secs_f64() * 1000.0;
        for (i, bound) in WAKE_BUCKETS_MS.iter().enumerate() {
            if ms <= *bound {
                self.inner.wake_buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
        self.inner.wake_count.fetch_add(1, Ordering::Relaxed);
        self.inner
            .wake_sum_us
            .fetch_add(since_commit.as_micros() as u64, Ordering::Relaxed);
    }

    /// `by_state`: companies by renewal state (`none` for those not renewing automatically);
    /// `status_cache_live`: whether status reads may be answered from the cache.
    pub fn render(
        &self,
        waiting_long_polls: usize,
        by_state: &[(String, i64)],
        status_cache_live: bool,
    ) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP relay_renewals_total Renewal invoices applied, by result.\n# TYPE relay_renewals_total counter\nrelay_renewals_total{{result=\"paid\"}} {}\nrelay_renewals_total{{result=\"failed\"}} {}",
            self.inner.renewals_paid.load(Ordering::Relaxed),
            self.inner.renewals_failed.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP relay_events_wrong_mode_total Events refused because their livemode differs from the Stripe keys' mode, by the money they carried.\n# TYPE relay_events_wrong_mode_total counter\nrelay_events_wrong_mode_total{{money=\"test\"}} {}\nrelay_events_wrong_mode_total{{money=\"live\"}} {}",
            self.inner.test_money_refused.load(Ordering::Relaxed),
            self.inner.live_money_refused.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP relay_factures_rendered_total Facture documents made (each once).\n# TYPE relay_factures_rendered_total counter\nrelay_factures_rendered_total {}\n# HELP relay_facture_buyer_vat_left_out_total Buyer VAT numbers collected by Stripe that do not match the company's SIREN (or are malformed), left out of its facture.\n# TYPE relay_facture_buyer_vat_left_out_total counter\nrelay_facture_buyer_vat_left_out_total {}",
            self.inner.factures_rendered.load(Ordering::Relaxed),
            self.inner.buyer_vat_left_out.load(Ordering::Relaxed)
        );
        out.push_str("# HELP relay_subscriptions Companies by automatic renewal state.\n# TYPE relay_subscriptions gauge\n");
        for (state, n) in by_state {
            let _ = writeln!(out, "relay_subscriptions{{renewal_state=\"{state}\"}} {n}");
        }
        out.push_str("# HELP relay_http_requests_total HTTP requests by route and status.\n# TYPE relay_http_requests_total counter\n");
        for ((route, status), n) in self.inner.requests.lock().unwrap().iter() {
            let _ = writeln!(
                out,
                "relay_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP relay_webhook_events_total Verified webhook events by outcome.\n# TYPE relay_webhook_events_total counter\n");
        for (outcome, n) in self.inner.webhooks.lock().unwrap().iter() {
            let _ = writeln!(
                out,
                "relay_webhook_events_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        out.push_str("# HELP relay_requests_refused_total Requests refused with a 4xx, by error code.\n# TYPE relay_requests_refused_total counter\n");
        for (code, n) in self.inner.refused.lock().unwrap().iter() {
            let _ = writeln!(out, "relay_requests_refused_total{{code=\"{code}\"}} {n}");
        }
        let batches = self.inner.batches.load(Ordering::Relaxed);
        let jobs = self.inner.batched_jobs.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP relay_write_batches_total Transactions committed by the group-commit writer.\n# TYPE relay_write_batches_total counter\nrelay_write_batches_total {batches}"
        );
        let _ = writeln!(
            out,
            "# HELP relay_write_jobs_total Jobs committed by the writer.\n# TYPE relay_write_jobs_total counter\nrelay_write_jobs_total {jobs}"
        );
        let _ = writeln!(
            out,
            "# HELP relay_status_cache_live Whether status reads are answered from the cache (PostgreSQL, every change heard).\n# TYPE relay_status_cache_live gauge\nrelay_status_cache_live {}",
            u8::from(status_cache_live)
        );
        let _ = writeln!(
            out,
            "# HELP relay_long_polls_waiting Long polls currently held.\n# TYPE relay_long_polls_waiting gauge\nrelay_long_polls_waiting {waiting_long_polls}"
        );
        out.push_str("# HELP relay_long_poll_wake_seconds Time from a change being published to the long poll answering.\n# TYPE relay_long_poll_wake_seconds histogram\n");
        for (i, bound) in WAKE_BUCKETS_MS.iter().enumerate() {
            let n = self.inner.wake_buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "relay_long_poll_wake_seconds_bucket{{le=\"{}\"}} {n}",
                bound / 1000.0
            );
        }
        let count = self.inner.wake_count.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "relay_long_poll_wake_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            out,
            "relay_long_poll_wake_seconds_sum {}",
            self.inner.wake_sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "relay_long_poll_wake_seconds_count {count}");
        out
    }
}

/// Middleware: counts every request under its route template (never the raw path, which
/// would let anyone create unbounded label values).
pub async fn track(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.observe_request(&route, response.status().as_u16());
    if let Some(failed) = response.extensions().get::<Failed>() {
        tracing::error!(route, code = failed.code, error = %failed.error, "request failed");
    }
    if let Some(refused) = response.extensions().get::<Refused>() {
        if metrics.observe_refused(refused.code) {
            tracing::info!(route, code = refused.code, error = %refused.reason, "request refused");
        }
    }
    tracing::debug!(
        route,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_requests_are_all_counted_but_only_twenty_a_second_logged() {
        let metrics = Metrics::default();
        let logged = (0..100)
            .filter(|_| metrics.observe_refused("invalid_signature"))
            .count();
        assert_eq!(logged, REFUSED_LOGS_PER_SEC as usize);
        assert!(
            metrics
                .render(0, &[], false)
                .contains("relay_requests_refused_total{code=\"invalid_signature\"} 100")
        );
    }
}
