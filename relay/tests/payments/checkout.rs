//! Creating a checkout session: the session Stripe receives (client from the token, never from
//! the body; amount, currency, locale, return URLs), bad bodies refused, and a Stripe that is
//! down or answers an error giving 502 with nothing stored.

use super::common::{self, Backend, start};

#[tokio::test]
async fn checkout_creation_uses_the_tokens_client_and_refuses_unknown_plans() {
    let w = start(Backend::Sqlite).await;
    let (code, body) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            Some(&w.token),
            r#"{"plan":"mensuel","renewal":"once","client_id":"40"}"#,
        )
        .await;
    assert_eq!(code, 200);
    let session = w
        .sandbox
        .session(body["session_id"].as_str().unwrap())
        .unwrap();
    assert_eq!(session.metadata["client_id"], "39");
    assert_eq!(session.metadata["plan"], "mensuel");
    assert_eq!(session.client_reference_id.as_deref(), Some("39"));
    assert_eq!(
        (
            session.amount_total(),
            session.currency.as_str(),
            session.mode.as_str()
        ),
        (4900, "eur", "payment")
    );
    assert_eq!(session.locale.as_deref(), Some("fr"));
    assert_eq!(
        session.success_url,
        format!(
            "{}/payment-success?session_id={{CHECKOUT_SESSION_ID}}",
            w.base
        )
    );
    assert_eq!(
        session.cancel_url,
        Some(format!("{}/payment-cancelled", w.base))
    );
    for (body, code) in [
        (r#"{"plan":"hebdo"}"#, "unknown_plan"),
        (r#"{"plan":5}"#, "invalid_body"),
        (r#"{"plan":"mensuel","renewal":"weekly"}"#, "invalid_body"),
        ("not json", "invalid_body"),
        ("{}", "invalid_body"),
    ] {
        let (status, err) = w
            .post_json("/api/stripe/create-checkout-session", Some(&w.token), body)
            .await;
        assert_eq!(
            (status, err["error"]["code"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM checkout_sessions").await, 1);
}

/// A relay on a fresh database whose Stripe is `stripe_base`; creating a session must give 502.
async fn checkout_fails_with_502_and_stores_nothing(stripe_base: &str) {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let running = common::start_relay(&db.url, stripe_base).await;
    let (base, state) = (&running.base, &running.state);
    let token = common::paying_client(&state.db, "39", "X").await;
    let resp = common::create_checkout(&reqwest::Client::new(), base, &token).await;
    assert_eq!(resp.status(), 502, "{stripe_base}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "stripe_unavailable");
    assert!(!body.to_string().contains("sk_test"));
    use sqlx::Row;
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
}

#[tokio::test]
async fn stripe_unreachable_gives_502_and_stores_nothing() {
    // Nothing listens on port 9 here.
    checkout_fails_with_502_and_stores_nothing("http://127.0.0.1:9").await;
}

#[tokio::test]
async fn stripe_answering_an_error_gives_502_and_stores_nothing() {
    let w = start(Backend::Sqlite).await;
    checkout_fails_with_502_and_stores_nothing(&format!("{}/not-stripe", w.sandbox_base)).await;
}
