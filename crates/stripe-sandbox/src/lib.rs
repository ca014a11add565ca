//! An offline Stripe for tests and demos: the Checkout Sessions API (form-encoded, Stripe's
//! objects and errors), a hosted checkout page in French that takes Stripe's test cards and a
//! test SEPA mandate, and webhooks signed with Stripe's scheme. It never moves real money and
//! every page says so. Mount [`Sandbox::router`] anywhere, or run the `stripe-sandbox` binary.

#![recursion_limit = "256"]

pub mod api;
pub mod billing;
mod charges;
mod completion;
mod control;
pub mod details;
pub mod disputes;
pub mod error;
mod events;
mod expand;
pub mod fixtures;
pub mod form;
mod hosted;
mod list;
mod payment_intents;
pub mod refunds;
pub mod session;
pub mod shape;
pub mod webhook;

use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use rand::Rng;
use tokio::sync::Notify;
use tower_http::set_header::SetResponseHeaderLayer;

pub use session::{PaymentStatus, Session, Status};
pub use webhook::{DeliveryOptions, DeliveryRecord, Event, FlushOrder, RetryPolicy, WebhookTarget};

/// Settings fixed when the sandbox starts.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Absolute URL under which [`Sandbox::router`] is served (no trailing slash); hosted
    /// checkout URLs are built from it.
    pub public_base: String,
    pub webhook: Option<WebhookTarget>,
    pub retry: RetryPolicy,
    /// How long a test SEPA debit takes to settle on its own.
    pub sepa_settle_after: Duration,
    /// The only origin (`http://host:port`) that `success_url` and `cancel_url` may point to,
    /// the relay's: the hosted page redirects there, so it must not become an open redirect.
    pub return_origin: Option<String>,
    /// The one secret key the API accepts, as on Stripe: a `sk_test_` key (see
    /// [`generate_key`]); any other gets 401.
    pub secret_key: String,
}

/// A fresh test-mode secret key for a sandbox that was given none.
pub fn generate_key() -> String {
    format!("sk_test_{}", random_id(48))
}

/// Test SEPA IBANs (Stripe's French test numbers): one settles, one fails (a third, settled
/// then disputed, is [`disputes::IBAN_DISPUTED`]).
pub const IBAN_SUCCEEDS: &str = "FR1420041010050500013M02606";
pub const IBAN_FAILS: &str = "FR8420041010050500013M02607";

#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    http: reqwest::Client,
    sessions: Mutex<HashMap<String, Session>>,
    books: Mutex<billing::Books>,
    /// Session id → whether its SEPA debit will succeed, until it settles.
    pending_sepa: Mutex<HashMap<String, bool>>,
    options: Mutex<DeliveryOptions>,
    held: Mutex<Vec<Event>>,
    events: Mutex<Vec<Event>>,
    refunds: Mutex<Vec<refunds::Refund>>,
    disputes: Mutex<Vec<disputes::Dispute>>,
    /// Sessions whose SEPA debit, once settled, is charged back (the disputed test IBAN).
    disputed_debits: Mutex<std::collections::HashSet<String>>,
    /// `Idempotency-Key` of each refund created with one → the refund's id.
    refund_keys: Mutex<HashMap<String, String>>,
    deliveries: Mutex<Vec<DeliveryRecord>>,
    in_flight: AtomicUsize,
    /// Tasks counted in `in_flight` that wait for the other deliveries to end.
    waiting: AtomicUsize,
    idle: Notify,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("http client"),
                sessions: Mutex::default(),
                books: Mutex::default(),
                pending_sepa: Mutex::default(),
                options: Mutex::default(),
                held: Mutex::default(),
                events: Mutex::default(),
                refunds: Mutex::default(),
                disputes: Mutex::default(),
                disputed_debits: Mutex::default(),
                refund_keys: Mutex::default(),
                deliveries: Mutex::default(),
                in_flight: AtomicUsize::new(0),
                waiting: AtomicUsize::new(0),
                idle: Notify::new(),
            }),
        }
    }

    /// Stripe's API under `/v1`, the hosted pages under `/c/pay`, test controls under `/_sandbox`.
    pub fn router(&self) -> Router {
        Router::new()
            .route(
                "/v1/checkout/sessions",
                post(api::create_session).get(session::list::list),
            )
            .route("/v1/checkout/sessions/{id}", get(api::retrieve_session))
            .route(
                "/v1/checkout/sessions/{id}/line_items",
                get(session::list::line_items),
            )
            .route(
                "/v1/payment_intents/{id}",
                get(payment_intents::retrieve),
            )
            .route("/v1/charges", get(charges::list))
            .route("/v1/charges/{id}", get(charges::retrieve))
            .route("/v1/payment_intents", get(charges::list_intents))
            .route("/v1/refunds", post(refunds::create).get(refunds::list))
            .route("/v1/refunds/{id}", get(refunds::retrieve))
            .route("/v1/disputes", get(disputes::list))
            .route(
                "/v1/disputes/{id}",
                get(disputes::retrieve).post(disputes::update),
            )
            .route(
                "/v1/checkout/sessions/{id}/expire",
                post(api::expire_session),
            )
            .merge(billing::api::routes())
            .merge(hosted::routes())
            .merge(control::routes())
            .fallback(api::unrecognized)
            .method_not_allowed_fallback(api::unrecognized)
            .layer(axum::middleware::from_fn_with_state(
                self.clone(),
                expand::answers,
            ))
            // The headers the relay's own pages carry: no script, no framing, no sniffing, no
            // referrer (the pages' one stylesheet is inline).
            .layer(set_header(
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'",
            ))
            .layer(set_header(header::X_FRAME_OPTIONS, "DENY"))
            .layer(set_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .layer(set_header(HeaderName::from_static("referrer-policy"), "no-referrer"))
            .with_state(self.clone())
    }

    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    pub fn public_base(&self) -> &str {
        &self.inner.config.public_base
    }

    pub fn session(&self, id: &str) -> Option<Session> {
        self.inner.sessions.lock().unwrap().get(id).cloned()
    }

    pub fn sessions(&self) -> Vec<Session> {
        self.inner
            .sessions
            .lock()
            .unwrap()
            .values()
            .cloned()
            .collect()
    }

    pub(crate) fn insert_session(&self, session: Session) {
        self.inner
            .sessions
            .lock()
            .unwrap()
            .insert(session.id.clone(), session);
    }

    /// Applies `change` to a stored session and returns the new state. Panics on an unknown id:
    /// callers look the session up first.
    pub(crate) fn update_session(&self, id: &str, change: impl FnOnce(&mut Session)) -> Session {
        let mut sessions = self.inner.sessions.lock().unwrap();
        let session = sessions.get_mut(id).expect("session exists");
        change(session);
        session.clone()
    }

    pub(crate) fn books(&self) -> std::sync::MutexGuard<'_, billing::Books> {
        self.inner.books.lock().unwrap()
    }

    pub(crate) fn retry_policy(&self) -> RetryPolicy {
        self.inner.config.retry
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.inner.http
    }
}

fn set_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(name, HeaderValue::from_static(value))
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// The last `n` characters of `text` (never a byte cut inside a character).
pub fn last_chars(text: &str, n: usize) -> String {
    let skip = text.chars().count().saturating_sub(n);
    text.chars().skip(skip).collect()
}

/// Random alphanumeric id body, like Stripe's object ids.
pub fn random_id(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(rand::distributions::Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// « 49,00 € »: amounts as a French reader expects them.
pub fn format_eur(cents: i64) -> String {
    format!("{},{:02}\u{a0}€", cents / 100, cents % 100)
}
