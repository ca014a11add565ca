//! The relay's one clock. Every rule that depends on time (renew links, expiries, margins and
//! graces, days remaining, reconciliation's window) reads it from here, so that a test can move it forward and watch
//! an access end after a period, a margin or a grace, without waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Unix seconds of the system clock.
pub fn system_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The system clock plus an offset that tests may set; shared by every clone.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        system_now().saturating_add(self.offset.load(Ordering::Relaxed))
    }

    /// The instant the rules in [`crate::core`] are given, read once at the edge.
    pub fn timestamp(&self) -> crate::core::Timestamp {
        crate::core::Timestamp::from_unix(self.now())
    }

    /// Moves this clock (and every clone of it) `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::Relaxed);
    }

    /// Sets this clock (and every clone) to `now`, e.g. a Stripe test clock's frozen time.
    pub fn set(&self, now: i64) {
        self.offset.store(now - system_now(), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_moves_every_clone() {
        let clock = Clock::default();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(86_400);
        assert!((copy.now() - before - 86_400).abs() <= 1);
    }
}
