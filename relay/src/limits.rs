//! Bounds on what anyone can make the relay do: concurrent long polls per token and in all (a
//! held poll costs a connection and a task), and the Stripe look-ups that the public success
//! page makes (Stripe's rate limit is shared with every company's checkout).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

#[derive(Debug)]
struct Inner {
    per_token: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
    max_per_token: usize,
    max_total: usize,
}

/// Counts held long polls; [`LongPolls::enter`] hands out a permit or refuses.
#[derive(Debug, Clone)]
pub struct LongPolls {
    inner: Arc<Inner>,
}

/// Why a long poll was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    Token,
    Relay,
}

/// A held long poll; dropping it frees its place.
#[derive(Debug)]
pub struct Permit {
    inner: Arc<Inner>,
    token: String,
}

impl LongPolls {
    pub fn new(max_per_token: usize, max_total: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                per_token: Mutex::default(),
                total: AtomicUsize::new(0),
                max_per_token,
                max_total,
            }),
        }
    }

    /// A place for one more long poll by `token` (its hash), if both bounds allow it.
    pub fn enter(&self, token: &str) -> Result<Permit, Full> {
        let mut per_token = self.inner.per_token.lock().unwrap();
        let held = per_token.get(token).copied().unwrap_or(0);
        if held >= self.inner.max_per_token {
            return Err(Full::Token);
        }
        if self.inner.total.load(Ordering::Relaxed) >= self.inner.max_total {
            return Err(Full::Relay);
        }
        self.inner.total.fetch_add(1, Ordering::Relaxed);
        per_token.insert(token.to_owned(), held + 1);
        Ok(Permit {
            inner: self.inner.clone(),
            token: token.to_owned(),
        })
    }

    pub fn held(&self) -> usize {
        self.inner.total.load(Ordering::Relaxed)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut per_token = self.inner.per_token.lock().unwrap();
        if let Some(n) = per_token.get_mut(&self.token) {
            *n -= 1;
            if *n == 0 {
                per_token.remove(&self.token);
            }
        }
        self.inner.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A token bucket: `rate` look-ups a second on average, bursts of up to `rate`.
#[derive(Debug, Clone)]
pub struct Bucket {
    inner: Arc<Mutex<(f64, Instant)>>,
    rate: f64,
}

impl Bucket {
    pub fn new(rate: usize) -> Self {
        let rate = rate as f64;
        Self {
            inner: Arc::new(Mutex::new((rate, Instant::now()))),
            rate,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&self) -> bool {
        let mut state = self.inner.lock().unwrap();
        let (tokens, since) = &mut *state;
        let now = Instant::now();
        *tokens = (*tokens + now.duration_since(*since).as_secs_f64() * self.rate).min(self.rate);
        *since = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_its_rate_then_refills() {
        let bucket = Bucket::new(5);
        assert_eq!((0..20).filter(|_| bucket.take()).count(), 5);
        std::thread::sleep(std::time::Duration::from_millis(450));
        assert!(bucket.take(), "two tokens came back in 0.45 s");
    }

    #[test]
    fn a_token_holds_at_most_its_share_and_the_relay_its_total() {
        let polls = LongPolls::new(2, 3);
        let a1 = polls.enter("a").unwrap();
        let _a2 = polls.enter("a").unwrap();
        assert_eq!(polls.enter("a").unwrap_err(), Full::Token);
        let _b1 = polls.enter("b").unwrap();
        assert_eq!(polls.enter("c").unwrap_err(), Full::Relay);
        drop(a1);
        assert_eq!(polls.held(), 2);
        assert!(
            polls.enter("a").is_ok(),
            "a place freed by a drop is taken again"
        );
    }
}
