//! Bounds on what anyone can make the relay do: concurrent long polls per token and in all (a
//! held poll costs a connection and a task), and the Stripe look-ups that the public success
//! page makes (Stripe's rate limit is shared with every company's checkout).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Largest request body accepted; Stripe's checkout events are a few kilobytes.
pub const BODY_LIMIT: usize = 256 * 1024;

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

/// What one session's recent look-up may answer, so that polling a session costs the shared
/// [`Bucket`] one token per `every` at most: within that time the session's last answer is
/// given again, or « busy » when it had none (Stripe did not answer).
#[derive(Debug, Clone)]
pub struct PerSession<T> {
    inner: Arc<Mutex<HashMap<String, (Instant, Option<T>)>>>,
    every: std::time::Duration,
}

/// What [`PerSession::check`] allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recent<T> {
    /// Ask Stripe (the shared budget permitting).
    Ask,
    /// Asked a moment ago: this was the answer.
    Answered(T),
    /// Asked a moment ago, with no answer to give again.
    Spent,
}

impl<T: Clone> PerSession<T> {
    pub fn new(every: std::time::Duration) -> Self {
        Self {
            inner: Arc::default(),
            every,
        }
    }

    /// Whether `session` may be looked up now; when it may, its window starts.
    pub fn check(&self, session: &str) -> Recent<T> {
        let mut map = self.inner.lock().unwrap();
        let now = Instant::now();
        if let Some((at, answer)) = map.get(session) {
            if now.duration_since(*at) < self.every {
                return answer.clone().map_or(Recent::Spent, Recent::Answered);
            }
        }
        // Bounded: entries older than the window are worth nothing.
        if map.len() >= 10_000 {
            map.retain(|_, (at, _)| now.duration_since(*at) < self.every);
        }
        map.insert(session.to_owned(), (now, None));
        Recent::Ask
    }

    /// Keeps `answer` for the rest of `session`'s window.
    pub fn answered(&self, session: &str, answer: T) {
        if let Some(entry) = self.inner.lock().unwrap().get_mut(session) {
            entry.1 = Some(answer);
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
    fn a_session_polled_in_a_loop_is_looked_up_once_a_window() {
        let recent = PerSession::new(std::time::Duration::from_millis(300));
        assert_eq!(recent.check("cs_1"), Recent::Ask);
        assert_eq!(recent.check("cs_1"), Recent::Spent, "no answer yet");
        recent.answered("cs_1", 7);
        assert_eq!(recent.check("cs_1"), Recent::Answered(7));
        assert_eq!(
            recent.check("cs_2"),
            Recent::Ask,
            "another session has its own"
        );
        std::thread::sleep(std::time::Duration::from_millis(320));
        assert_eq!(recent.check("cs_1"), Recent::Ask);
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
