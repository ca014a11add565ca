//! Transmission's counters (see `pa`), apart from it so that `metrics` imports no sender, rendered with the relay's other metrics: documents and statuses sent,
//! platform refusals, and rejections (213) or refusals (210) of a document, plus the outbox's
//! depth and oldest age read at each scrape.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Clone, Default)]
pub struct PaMetrics {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    sent: AtomicU64,
    refused: AtomicU64,
    rejected: AtomicU64,
    buyer_refused: AtomicU64,
}

impl PaMetrics {
    pub fn observe_sent(&self) {
        self.inner.sent.fetch_add(1, Ordering::Relaxed);
    }

    /// The platform refused a flow (an `Error` acknowledgement or a 4xx).
    pub fn observe_refused(&self) {
        self.inner.refused.fetch_add(1, Ordering::Relaxed);
    }

    /// A document rejected (213) or refused by its buyer (210).
    pub fn observe_problem(&self, code: u16) {
        let counter = match code {
            213 => &self.inner.rejected,
            _ => &self.inner.buyer_refused,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// `outbox`: messages not yet with the platform and the oldest one's age in seconds.
    pub fn render(&self, out: &mut String, outbox: (i64, i64)) {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let _ = writeln!(
            out,
            "# HELP relay_pa_flows_sent_total Flows (documents and payment statuses) the approved platform took.\n# TYPE relay_pa_flows_sent_total counter\nrelay_pa_flows_sent_total {}\n# HELP relay_pa_flows_refused_total Flows the platform refused (Error acknowledgement or 4xx).\n# TYPE relay_pa_flows_refused_total counter\nrelay_pa_flows_refused_total {}\n# HELP relay_pa_documents_problems_total Documents rejected (213) or refused by the buyer (210).\n# TYPE relay_pa_documents_problems_total counter\nrelay_pa_documents_problems_total{{status=\"213\"}} {}\nrelay_pa_documents_problems_total{{status=\"210\"}} {}\n# HELP relay_pa_outbox_depth Messages not yet with the platform.\n# TYPE relay_pa_outbox_depth gauge\nrelay_pa_outbox_depth {}\n# HELP relay_pa_outbox_oldest_age_seconds Age of the oldest message not yet with the platform.\n# TYPE relay_pa_outbox_oldest_age_seconds gauge\nrelay_pa_outbox_oldest_age_seconds {}",
            load(&self.inner.sent),
            load(&self.inner.refused),
            load(&self.inner.rejected),
            load(&self.inner.buyer_refused),
            outbox.0,
            outbox.1,
        );
    }
}
