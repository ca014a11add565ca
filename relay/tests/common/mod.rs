//! Test helpers, in one place: a fresh database per test (a SQLite file, or a PostgreSQL database
//! on 127.0.0.1:5432 dropped afterwards), a relay on port 0 talking real HTTP to a Stripe sandbox
//! on port 0 that delivers signed webhooks back to it, and a client with its token.
#![allow(dead_code)]

use std::collections::HashMap;
use std::time::Duration;

use relay::AppState;
use relay::config::Settings;
use relay::domain::ClientId;
use relay::startup::{Application, Running, StripeChoice};
use serde_json::Value;
use stripe_sandbox::{RetryPolicy, Sandbox, SandboxConfig, WebhookTarget};

pub const SECRET: &str = "whsec_relay_tests_secret";
pub const STRIPE_KEY: &str = "sk_test_relay_tests_key";
pub const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// The SIREN of the tests' company « 39 » (Maçonnerie Dupont).
pub const SIREN: &str = "552100554";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(Backend)` as two tests: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name($crate::common::Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name($crate::common::Backend::Postgres).await }
        }
    )*};
}

/// Environment of a relay under test, as `Settings::from_lookup` reads it.
pub fn env(db_url: &str, app_url: &str, stripe_base: &str) -> HashMap<String, String> {
    HashMap::from([
        ("STRIPE_SECRET_KEY".into(), STRIPE_KEY.into()),
        (
            "STRIPE_PUBLISHABLE_KEY".into(),
            "pk_test_relay_tests_key".into(),
        ),
        ("STRIPE_WEBHOOK_SECRET".into(), SECRET.into()),
        ("STRIPE_API_BASE".into(), stripe_base.into()),
        ("APP_URL".into(), app_url.into()),
        ("DATABASE_URL".into(), db_url.into()),
        ("RELAY_METRICS_ADDR".into(), "127.0.0.1:0".into()),
    ])
}

/// What makes a relay live: live keys in production, with its signing key and its seller (the
/// rest of [`env`] unchanged), to start one beside a test world on the same database.
pub const LIVE_ENV: [(&str, &str); 14] = [
    ("APP_ENV", "production"),
    ("STRIPE_SECRET_KEY", "sk_live_relay_tests_key"),
    ("STRIPE_PUBLISHABLE_KEY", "pk_live_relay_tests_key"),
    (
        "ENTITLEMENT_SIGNING_KEY",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    ),
    ("SELLER_NAME", "ERP BTP SAS"),
    ("SELLER_LEGAL_FORM", "SAS"),
    ("SELLER_CAPITAL", "10 000 €"),
    ("SELLER_ADDRESS", "1 rue des Tests"),
    ("SELLER_POSTAL_CODE", "69001"),
    ("SELLER_CITY", "Lyon"),
    ("SELLER_SIREN", "732829320"),
    ("SELLER_RCS", "RCS Lyon"),
    ("SELLER_VAT", "FR44732829320"),
    ("SELLER_PENALTY_RATE", "trois fois le taux d'intérêt légal"),
];

pub struct World {
    pub base: String,
    pub sandbox: Sandbox,
    pub sandbox_base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    pub token: String,
    pub client: ClientId,
    pub db: TestDb,
    relay: Running,
}

/// A relay instance on an existing database, pointed at `stripe_base`; it serves until the
/// handle is dropped.
pub async fn start_relay(db_url: &str, stripe_base: &str) -> Running {
    start_relay_with(db_url, stripe_base, &[]).await
}

/// [`start_relay`] with more environment variables.
pub async fn start_relay_with(db_url: &str, stripe_base: &str, extra: &[(&str, &str)]) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut vars = env(db_url, &base, stripe_base);
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let settings = Settings::from_lookup(|k| vars.get(k).cloned(), false).unwrap();
    Application::build_on(listener, settings, StripeChoice::Configured)
        .await
        .unwrap()
        .spawn()
}

/// A relay and a sandbox wired together, a fresh database and client `39`.
pub async fn start(backend: Backend) -> World {
    start_with(backend, &[]).await
}

/// [`start`] with more environment variables for the relay.
pub async fn start_with(backend: Backend, extra: &[(&str, &str)]) -> World {
    let db = TestDb::new(backend).await;
    let sb_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sandbox_base = format!("http://{}", sb_listener.local_addr().unwrap());
    let relay = start_relay_with(&db.url, &sandbox_base, extra).await;
    let (base, state) = (relay.base.clone(), relay.state.clone());
    let sandbox = Sandbox::new(SandboxConfig {
        public_base: sandbox_base.clone(),
        webhook: Some(WebhookTarget {
            url: format!("{base}/api/stripe/webhook"),
            secrets: vec![SECRET.into()],
        }),
        retry: RetryPolicy {
            initial: Duration::from_millis(50),
            max_attempts: 5,
        },
        sepa_settle_after: Duration::from_secs(3600),
        return_origin: Some(base.clone()),
        secret_key: STRIPE_KEY.into(),
    });
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(sb_listener, router).await });
    let client = ClientId::parse("39").unwrap();
    // Every facture names its buyer by SIREN: a company without one cannot pay.
    let token = paying_client(&state.db, client.as_str(), "Maçonnerie Dupont").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    World {
        base,
        sandbox,
        sandbox_base,
        state,
        http,
        token,
        client,
        db,
        relay,
    }
}

impl World {
    /// Moves every subscription's expiry to `at` behind the relay's back, as time passing would.
    /// The relay's cached status is forgotten at once: the trigger's announcement (PostgreSQL)
    /// would arrive a moment after the test's next read.
    pub async fn set_expiry(&self, at: i64) {
        sqlx::query("UPDATE subscriptions SET expires_at = $1")
            .bind(at)
            .execute(&self.state.db.pool)
            .await
            .unwrap();
        self.state.db.status_cache.forget(self.client.as_str());
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut req = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &str) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.unwrap();
        (
            resp.status().as_u16(),
            resp.json().await.unwrap_or(Value::Null),
        )
    }

    pub async fn status(&self) -> Value {
        let (code, body) = self.get_json("/api/subscription", Some(&self.token)).await;
        assert_eq!(code, 200, "{body}");
        body
    }

    /// Expiry of the test client's subscription, in Unix seconds.
    pub async fn expiry(&self) -> Option<i64> {
        self.state
            .db
            .subscription(&self.client)
            .await
            .unwrap()
            .unwrap()
            .expires_at
    }

    pub async fn count(&self, sql: &'static str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_one(&self.state.db.pool)
            .await
            .unwrap()
            .get::<i64, _>(0)
    }

    pub async fn session_state(&self, id: &str) -> String {
        let id = relay::domain::SessionId::parse(id).unwrap();
        self.state
            .db
            .stored_session(&id)
            .await
            .unwrap()
            .unwrap()
            .state
            .to_string()
    }

    /// Posts `body` to the webhook signed with `header`, as Stripe would.
    pub async fn deliver(&self, body: &str, header: Option<&str>) -> u16 {
        let mut req = self
            .http
            .post(format!("{}/api/stripe/webhook", self.base))
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(h) = header {
            req = req.header("stripe-signature", h);
        }
        req.send().await.unwrap().status().as_u16()
    }

    /// `body`, signed now as Stripe signs it, posted to the webhook of the relay at `base`
    /// (this world's or another instance on its database); the request, to spawn.
    pub fn send_webhook(
        &self,
        base: &str,
        body: &str,
    ) -> impl std::future::Future<Output = reqwest::Result<reqwest::Response>> + use<> {
        self.http
            .post(format!("{base}/api/stripe/webhook"))
            .header(
                "stripe-signature",
                stripe_sandbox::fixtures::sign_now(SECRET, body),
            )
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    }

    pub fn stop(&self) {
        self.relay.stop();
    }

    /// The Prometheus text from the relay's own metrics address.
    pub async fn metrics(&self) -> String {
        let url = format!("{}/metrics", self.relay.metrics_base);
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

pub mod billing;
pub mod console;
mod db;
mod payments;
pub mod process;
pub use db::TestDb;
#[allow(unused_imports)]
pub use payments::{create_checkout, created_sessions, paying_client};
// Each test binary uses some of these.
#[allow(unused_imports)]
pub use process::{free_port, silent_stripe, spawn_relay_process, wait_healthy};

pub const DAY: i64 = 86_400;

pub fn now() -> i64 {
    relay::clock::system_now()
}
