//! The webhook route's first cases, through the whole router on a real SQLite file: a payment
//! delivered twice, a payment for a company that does not exist, storage failing (an error,
//! never a 200, so that Stripe retries).

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

use crate::config::Settings;
use crate::db::scratch::{paid_monthly_event, record_monthly_session, remove_files};
use crate::domain::{ClientId, PaymentOrigin};
use crate::startup::{Application, StripeChoice};

/// A relay on the in-process sandbox over a fresh SQLite file, with company 39 and one session
/// it created for `client`, plan mensuel.
struct Relay {
    app: Application,
    router: Router,
    path: std::path::PathBuf,
}

impl Relay {
    async fn start(name: &str, client: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("webhook_route_{name}_{}.db", std::process::id()));
        let url = format!("sqlite://{}", path.display());
        let settings = Settings::from_lookup(
            |key| match key {
                "DATABASE_URL" => Some(url.clone()),
                "RELAY_METRICS_ADDR" => Some("127.0.0.1:0".into()),
                _ => None,
            },
            true,
        )
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let app = Application::build_on(listener, settings, StripeChoice::Sandbox)
            .await
            .unwrap();
        let state = app.state().clone();
        state
            .db
            .add_client(&ClientId::parse("39").unwrap(), "Maçonnerie Dupont")
            .await
            .unwrap();
        let client = ClientId::parse(client).unwrap();
        record_monthly_session(
            &state.db,
            name,
            &client,
            PaymentOrigin::Sandbox,
            state.clock.timestamp(),
        )
        .await;
        Self {
            router: crate::routes::app(state),
            app,
            path,
        }
    }

    /// Posts the paid event `event` for this relay's session, signed with its secret.
    async fn deliver(&self, name: &str, event: &str, client: &str) -> (StatusCode, Value) {
        let body = paid_monthly_event(name, event, client);
        let secret = self.app.state().stripe_settings.webhook_secrets[0].expose();
        let request = Request::post("/api/stripe/webhook")
            .header("content-type", "application/json")
            .header(
                "stripe-signature",
                stripe_sandbox::fixtures::sign_now(secret, &body),
            )
            .body(Body::from(body))
            .unwrap();
        let answer = self.router.clone().oneshot(request).await.unwrap();
        let status = answer.status();
        let bytes = axum::body::to_bytes(answer.into_body(), 1 << 20)
            .await
            .unwrap();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn scalar(&self, sql: &str) -> Option<i64> {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_optional(&self.app.state().db.pool)
            .await
            .unwrap()
            .flatten()
    }

    async fn remove(self) {
        self.app.state().db.pool.close().await;
        drop(self.app);
        remove_files(&self.path);
    }
}

#[tokio::test]
async fn a_payment_delivered_twice_is_acknowledged_twice_and_extends_once() {
    let relay = Relay::start("twice", "39").await;
    let (first, body) = relay.deliver("twice", "evt_twice", "39").await;
    assert_eq!(
        (first, body["outcome"].as_str()),
        (StatusCode::OK, Some("fulfilled"))
    );
    let expires = relay
        .scalar("SELECT expires_at FROM subscriptions WHERE client_id = '39'")
        .await;
    let (again, body) = relay.deliver("twice", "evt_twice", "39").await;
    assert_eq!(
        (again, body["outcome"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );
    let (other_id, body) = relay.deliver("twice", "evt_twice_bis", "39").await;
    assert_eq!(other_id, StatusCode::OK);
    assert_eq!(
        body["outcome"], "already fulfilled",
        "the same payment under a new event id"
    );
    assert_eq!(
        relay
            .scalar("SELECT expires_at FROM subscriptions WHERE client_id = '39'")
            .await,
        expires,
        "extended once"
    );
    assert_eq!(relay.scalar("SELECT COUNT(*) FROM factures").await, Some(1));
    let intent: Option<String> = sqlx::query_scalar(
        "SELECT payment_intent FROM checkout_sessions WHERE session_id = 'cs_test_twice'",
    )
    .fetch_one(&relay.app.state().db.pool)
    .await
    .unwrap();
    assert!(
        intent.is_some_and(|i| i.starts_with("pi_")),
        "the payment a refund will name"
    );
    relay.remove().await;
}

#[tokio::test]
async fn a_payment_for_a_company_that_does_not_exist_is_acknowledged_and_changes_nothing() {
    let relay = Relay::start("nobody", "77").await;
    let (status, body) = relay.deliver("nobody", "evt_nobody", "77").await;
    assert_eq!(status, StatusCode::OK, "Stripe must not retry it");
    assert_eq!(body["outcome"], "rejected: unknown client 77");
    assert_eq!(
        relay
            .scalar("SELECT COUNT(*) FROM subscriptions WHERE expires_at IS NOT NULL")
            .await,
        Some(0)
    );
    assert_eq!(relay.scalar("SELECT COUNT(*) FROM factures").await, Some(0));
    relay.remove().await;
}

#[tokio::test]
async fn storage_failing_answers_an_error_so_that_stripe_delivers_again() {
    let relay = Relay::start("broken", "39").await;
    sqlx::query("DROP TABLE stripe_events")
        .execute(&relay.app.state().db.pool)
        .await
        .unwrap();
    let (status, body) = relay.deliver("broken", "evt_broken", "39").await;
    assert!(status.is_server_error(), "{status} {body}");
    assert_ne!(body["received"], true);
    assert_eq!(
        relay
            .scalar("SELECT expires_at FROM subscriptions WHERE client_id = '39'")
            .await,
        None,
        "nothing extended"
    );
    relay.remove().await;
}
