//! The hosted checkout page as a browser uses it: each test card, SEPA success and failure,
//! cancel and expiry, each ending in the right redirect and signed event.

mod common;

use axum::http::StatusCode;
use common::{KEY, SECRET, World, start};
use serde_json::Value;
use stripe_sandbox::webhook::sign;

#[tokio::test]
async fn card_4242_pays_redirects_and_sends_a_signed_completed_event() {
    let w = start(&[SECRET]).await;
    let s = w.create().await;
    let id = s["id"].as_str().unwrap();
    let page = w
        .http
        .get(s["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("49,00\u{a0}€") && page.contains("aucun paiement réel"),
        "{page}"
    );
    let (status, location, _) = w.pay(id, &World::card("4242 4242 4242 4242")).await;
    assert_eq!(status, 303);
    assert_eq!(
        location.unwrap(),
        format!("http://app.test/payment-success?session_id={id}")
    );
    w.sandbox.idle().await;
    let got = w.receiver.received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (header, body) = &got[0];
    let t: i64 = header
        .split(',')
        .next()
        .unwrap()
        .strip_prefix("t=")
        .unwrap()
        .parse()
        .unwrap();
    assert!((stripe_sandbox::now() - t).abs() < 5);
    assert_eq!(
        header,
        &format!("t={t},v1={}", sign(SECRET, t, body.as_bytes()))
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event["object"], "event");
    assert_eq!(event["type"], "checkout.session.completed");
    assert_eq!(event["data"]["object"]["payment_status"], "paid");
    assert_eq!(event["data"]["object"]["status"], "complete");
    assert!(event["api_version"].is_string() && event["created"].is_i64());
}

#[tokio::test]
async fn card_0002_is_declined_visibly_and_the_session_stays_open() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, location, body) = w.pay(&id, &World::card("4000000000000002")).await;
    assert_eq!(status, 200);
    assert!(location.is_none());
    assert!(body.contains("Votre carte a été refusée"));
    assert_eq!(
        w.sandbox.session(&id).unwrap().status,
        stripe_sandbox::Status::Open
    );
    assert!(w.sandbox.events().is_empty());
}

#[tokio::test]
async fn card_3155_asks_for_3ds_then_confirm_pays_and_refuse_returns_to_the_form() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, _, body) = w.pay(&id, &World::card("4000002500003155")).await;
    assert_eq!(status, 200);
    assert!(body.contains("3-D Secure"));
    let refuse = w
        .http
        .post(format!("{}/c/pay/{id}/3ds", w.base))
        .form(&[("action", "refuse")])
        .send()
        .await
        .unwrap();
    assert_eq!(refuse.status(), 200);
    assert!(refuse.text().await.unwrap().contains("a échoué"));
    assert!(w.sandbox.events().is_empty());
    let confirm = w
        .http
        .post(format!("{}/c/pay/{id}/3ds", w.base))
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 303);
    assert_eq!(
        w.sandbox.events()[0].event_type,
        "checkout.session.completed"
    );
}

#[tokio::test]
async fn bad_expiry_or_unknown_card_is_refused_without_paying() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, _, body) = w
        .pay(
            &id,
            &[
                ("method", "card"),
                ("card_number", "4242424242424242"),
                ("expiry", "13/20"),
                ("cvc", "123"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("expiration invalide"));
    let (status, location, _) = w.pay(&id, &World::card("5555555555554444")).await;
    assert_eq!((status, location), (StatusCode::OK, None));
    assert!(w.sandbox.events().is_empty());
}

#[tokio::test]
async fn sepa_completes_unpaid_then_succeeds_or_fails_later() {
    for (iban, outcome) in [
        (stripe_sandbox::IBAN_SUCCEEDS, "succeeded"),
        (stripe_sandbox::IBAN_FAILS, "failed"),
    ] {
        let w = start(&[SECRET]).await;
        let id = w.create().await["id"].as_str().unwrap().to_owned();
        let (status, location, _) = w.pay(&id, &[("method", "sepa"), ("iban", iban)]).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().ends_with(&id));
        w.sandbox.idle().await;
        let first = &w.receiver.events()[0];
        assert_eq!(first["type"], "checkout.session.completed");
        assert_eq!(first["data"]["object"]["payment_status"], "unpaid");
        assert!(w.sandbox.settle(&id));
        assert!(!w.sandbox.settle(&id), "settles once");
        w.sandbox.idle().await;
        let second = &w.receiver.events()[1];
        assert_eq!(
            second["type"],
            format!("checkout.session.async_payment_{outcome}")
        );
        let paid = if outcome == "succeeded" {
            "paid"
        } else {
            "unpaid"
        };
        assert_eq!(second["data"]["object"]["payment_status"], paid);
    }
}

#[tokio::test]
async fn cancel_goes_to_cancel_url_and_expire_sends_an_expired_event() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let resp = w
        .http
        .get(format!("{}/c/pay/{id}/cancel", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["location"],
        "http://app.test/payment-cancelled"
    );
    let (status, s) = w
        .post_form(&format!("/v1/checkout/sessions/{id}/expire"), Some(KEY), "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(s["status"], "expired");
    let (status, _) = w
        .post_form(&format!("/v1/checkout/sessions/{id}/expire"), Some(KEY), "")
        .await;
    assert_eq!(status, 400, "only open sessions expire");
    w.sandbox.idle().await;
    assert_eq!(w.receiver.types(), ["checkout.session.expired"]);
}

#[tokio::test]
async fn the_hosted_pages_carry_the_relays_security_headers() {
    let w = start(&[SECRET]).await;
    let s = w.create().await;
    let page = w.http.get(s["url"].as_str().unwrap()).send().await.unwrap();
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
}
