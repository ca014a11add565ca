//! The relay's foundation over real HTTP: plans, config, pages, tokens, operations endpoints,
//! error shapes and body limits (the binary's own tests are in the `cli` test).

mod common;

use common::{Backend, World, start};

async fn plans_are_the_contracts_table(backend: Backend) {
    let w = start(backend).await;
    let (code, body) = w.get_json("/api/stripe/plans", None).await;
    assert_eq!(code, 200);
    let plans = body["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["id"], "mensuel");
    assert_eq!(plans[0]["price_cents"], 4900);
    assert_eq!(plans[0]["duration_days"], 30);
    assert_eq!(plans[1]["id"], "annuel");
    assert_eq!(plans[1]["price_cents"], 49900);
    assert_eq!(plans[1]["currency"], "eur");
    assert_eq!(plans[1]["features"][2], "2 mois offerts");
}

async fn config_gives_the_publishable_key_and_never_the_secret(backend: Backend) {
    let w = start(backend).await;
    let resp = w.get("/api/stripe/config").await;
    let text = resp.text().await.unwrap();
    assert_eq!(
        text,
        r#"{"publishable_key":"pk_test_relay_tests_key","mode":"test"}"#
    );
    assert!(!text.contains("sk_test") && !text.contains("whsec"));
}

async fn api_calls_without_a_valid_token_get_401_with_the_error_shape(backend: Backend) {
    let w = start(backend).await;
    for token in [None, Some("erpbtp_wrong"), Some("")] {
        let (code, body) = w.get_json("/api/subscription", token).await;
        assert_eq!(code, 401, "{token:?}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"].as_str().unwrap().contains("Jeton"));
    }
    let (code, body) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            None,
            r#"{"plan":"mensuel","renewal":"once"}"#,
        )
        .await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let resp = w
        .http
        .get(format!("{}/api/subscription", w.base))
        .header("authorization", format!("Basic {}", w.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

async fn a_revoked_token_is_refused_on_the_next_request(backend: Backend) {
    let w = start(backend).await;
    assert_eq!(w.get_json("/api/subscription", Some(&w.token)).await.0, 200);
    w.state.db.revoke_client(&w.client).await.unwrap();
    let (code, body) = w.get_json("/api/subscription", Some(&w.token)).await;
    assert_eq!(code, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
}

async fn tokens_are_stored_only_as_hashes(backend: Backend) {
    let w = start(backend).await;
    assert!(
        w.token.starts_with("erpbtp_") && w.token.len() >= 7 + 43,
        "256-bit token"
    );
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM clients")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, w.token);
    assert!(!stored.contains(&w.token[7..]));
    assert_eq!(stored, relay::db::clients::hash_token(&w.token));
}

async fn healthz_checks_the_database_and_metrics_count_requests(backend: Backend) {
    let w = start(backend).await;
    let (code, body) = w.get_json("/healthz", None).await;
    assert_eq!((code, body["database"].as_str()), (200, Some("ok")));
    w.get_json("/api/stripe/plans", None).await;
    w.get_json("/api/subscription", None).await;
    let metrics = w.metrics().await;
    assert!(
        metrics.contains(r#"relay_http_requests_total{route="/api/stripe/plans",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"relay_http_requests_total{route="/api/subscription",status="401"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("relay_long_polls_waiting 0"));
    w.state.db.pool.close().await;
    let (code, body) = w.get_json("/healthz", None).await;
    assert_eq!(
        (code, body["database"].as_str()),
        (503, Some("unreachable"))
    );
}

on_both_backends!(
    plans_are_the_contracts_table,
    config_gives_the_publishable_key_and_never_the_secret,
    api_calls_without_a_valid_token_get_401_with_the_error_shape,
    a_revoked_token_is_refused_on_the_next_request,
    tokens_are_stored_only_as_hashes,
    healthz_checks_the_database_and_metrics_count_requests,
);

#[tokio::test]
async fn the_pricing_page_shows_both_plans_in_french_with_security_headers() {
    let w = start(Backend::Sqlite).await;
    let resp = w.get("/pricing").await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let html = resp.text().await.unwrap();
    assert!(html.contains("lang=\"fr\""));
    for text in [
        "49\u{a0}€ / mois",
        "499\u{a0}€ / an",
        "Accès complet",
        "Support prioritaire",
        "2 mois offerts",
        "89\u{a0}€ d&#39;économie",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
    assert_eq!(w.get("/static/app.css").await.status(), 200);
}

#[tokio::test]
async fn the_cancelled_page_says_nothing_was_charged() {
    let w = start(Backend::Sqlite).await;
    let resp = w.get("/payment-cancelled").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("aucun montant n'a été débité"), "{html}");
    assert!(html.contains("href=\"/pricing\""));
}

#[tokio::test]
async fn unknown_paths_and_oversized_bodies_get_json_errors() {
    let w = start(Backend::Sqlite).await;
    let (code, body) = w.get_json("/nope", None).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let huge = "x".repeat(relay::BODY_LIMIT + 1);
    let resp = w
        .http
        .post(format!("{}/api/stripe/webhook", w.base))
        .body(huge)
        .header("stripe-signature", "t=1,v1=00")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
}

#[tokio::test]
async fn world_helpers_start_clean() {
    let w: World = start(Backend::Sqlite).await;
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(w.status().await["status"], "none");
}
