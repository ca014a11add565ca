//! Webhook delivery as Stripe does it: retries with backoff, duplicates and reversed order on
//! demand, one `v1` per secret during a roll, delays, and the HTTP controls.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{SECRET, World, start};
use serde_json::Value;
use stripe_sandbox::webhook::sign;
use stripe_sandbox::{DeliveryOptions, FlushOrder};

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_until_acknowledged() {
    let w = start(&[SECRET]).await;
    w.receiver.fail_first.store(2, Ordering::SeqCst);
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &World::card("4242424242424242")).await;
    w.sandbox.idle().await;
    let attempts: Vec<(u32, u16)> = w
        .sandbox
        .deliveries()
        .iter()
        .map(|d| (d.attempt, d.status))
        .collect();
    assert_eq!(attempts, [(1, 500), (2, 500), (3, 200)]);
    assert_eq!(w.receiver.events().len(), 1);
}

#[tokio::test]
async fn duplicates_and_reverse_order_are_delivered_on_demand() {
    let w = start(&[SECRET]).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        duplicates: 1,
        ..Default::default()
    });
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(
        &id,
        &[("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
    )
    .await;
    w.sandbox.settle(&id);
    assert!(w.receiver.events().is_empty(), "held");
    assert_eq!(w.sandbox.flush(FlushOrder::Reverse).await, 2);
    assert_eq!(
        w.receiver.types(),
        [
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_succeeded",
            "checkout.session.completed",
            "checkout.session.completed"
        ]
    );
    let ids: Vec<Value> = w
        .receiver
        .events()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(ids[0], ids[1], "a duplicate is the same event");
}

#[tokio::test]
async fn a_rolled_secret_signs_with_one_v1_per_secret() {
    let w = start(&["whsec_old_one", "whsec_new_one"]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &World::card("4242424242424242")).await;
    w.sandbox.idle().await;
    let (header, body) = w.receiver.received.lock().unwrap()[0].clone();
    let parts: Vec<&str> = header.split(',').collect();
    let t: i64 = parts[0][2..].parse().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[1],
        format!("v1={}", sign("whsec_old_one", t, body.as_bytes()))
    );
    assert_eq!(
        parts[2],
        format!("v1={}", sign("whsec_new_one", t, body.as_bytes()))
    );
}

#[tokio::test]
async fn delivery_can_be_delayed_and_controlled_over_http() {
    let w = start(&[SECRET]).await;
    let resp = w
        .http
        .post(format!("{}/_sandbox/options", w.base))
        .json(&serde_json::json!({"delay_ms": 300}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &World::card("4242424242424242")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(w.receiver.events().is_empty(), "still delayed");
    w.sandbox.idle().await;
    assert_eq!(w.receiver.events().len(), 1);
    let log: Value = w
        .http
        .get(format!("{}/_sandbox/deliveries", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["status"], 200);
}
