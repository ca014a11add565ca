//! The integrity rules over real HTTP: test money and live money never mix (both ways), only a
//! session the relay created is fulfilled, for the company and plan stored then, an invoice's
//! company comes from its Stripe customer and never from metadata alone, and an older read of a
//! subscription landing last changes nothing.

mod common;

use common::billing::months_after;
use common::{Backend, World, now, start};
use serde_json::{Value, json};
use stripe_sandbox::DeliveryOptions;
use stripe_sandbox::fixtures::{event_body, paid_checkout_event, sign_now};

/// What the journal says the event did.
async fn outcome(w: &World, event: &str) -> String {
    use sqlx::Row;
    sqlx::query("SELECT outcome FROM stripe_events WHERE event_id = $1")
        .bind(event)
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap()
        .get(0)
}

/// A world whose relay knows a second company, `40`.
async fn with_a_second_company(backend: Backend) -> (World, relay::domain::ClientId) {
    let w = start(backend).await;
    let other = relay::domain::ClientId::parse("40").unwrap();
    w.state
        .db
        .add_client(&other, "Charpente Martin")
        .await
        .unwrap();
    (w, other)
}

/// Delivers `body` signed, as Stripe would; the answer must be 200 (Stripe must not retry).
async fn deliver(w: &World, body: &str) {
    assert_eq!(
        w.deliver(body, Some(&sign_now(common::SECRET, body))).await,
        200
    );
}

fn with_livemode(body: &str, live: bool) -> String {
    body.replace(r#""livemode":false"#, &format!(r#""livemode":{live}"#))
}

/// Facts that nothing was granted: no expiry, no facture, the session still open.
async fn nothing_granted(w: &World, session: &str) {
    assert_eq!(w.expiry().await, None);
    assert_eq!(w.count("SELECT COUNT(*) FROM factures").await, 0);
    assert_eq!(w.session_state(session).await, "open");
}

async fn a_test_mode_event_on_a_live_relay_extends_nothing_and_issues_nothing(backend: Backend) {
    let w = start(backend).await;
    let live = common::start_relay_with(&w.db.url, &w.sandbox_base, &common::LIVE_ENV).await;
    w.created_sessions(&["cs_test_mixed".into()], "mensuel")
        .await;
    let body = paid_checkout_event("evt_mixed", "cs_test_mixed", "39", "mensuel", 4900);
    let answer = w.send_webhook(&live.base, &body).await.unwrap();
    assert_eq!(
        answer.status(),
        200,
        "answered, so that Stripe stops retrying"
    );
    let said = outcome(&w, "evt_mixed").await;
    assert!(
        said.starts_with("rejected: livemode false on a live relay"),
        "{said}"
    );
    nothing_granted(&w, "cs_test_mixed").await;
    let metrics = w
        .http
        .get(format!("{}/metrics", live.metrics_base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("relay_events_wrong_mode_total{money=\"test\"} 1"),
        "{metrics}"
    );
    // The same event on the test relay it belongs to is a payment.
    deliver(&w, &body.replace("evt_mixed", "evt_mixed_test")).await;
    assert_eq!(outcome(&w, "evt_mixed_test").await, "fulfilled");
    live.stop();
}

async fn a_live_event_on_a_test_relay_grants_nothing_and_is_counted(backend: Backend) {
    let w = start(backend).await;
    w.created_sessions(&["cs_test_real_money".into()], "mensuel")
        .await;
    let body = paid_checkout_event("evt_live", "cs_test_real_money", "39", "mensuel", 4900);
    deliver(&w, &with_livemode(&body, true)).await;
    let said = outcome(&w, "evt_live").await;
    assert!(
        said.starts_with("rejected: livemode true on a test-mode relay"),
        "{said}"
    );
    nothing_granted(&w, "cs_test_real_money").await;
    assert!(
        w.metrics()
            .await
            .contains("relay_events_wrong_mode_total{money=\"live\"} 1")
    );
    // A live object inside a test event is refused as well.
    let mut v: Value = serde_json::from_str(&body).unwrap();
    v["id"] = json!("evt_live_object");
    v["data"]["object"]["livemode"] = json!(true);
    deliver(&w, &v.to_string()).await;
    assert!(
        outcome(&w, "evt_live_object")
            .await
            .contains("livemode true")
    );
    nothing_granted(&w, "cs_test_real_money").await;
}

async fn a_session_the_relay_never_created_is_rejected_and_changes_nothing(backend: Backend) {
    let w = start(backend).await;
    let body = paid_checkout_event("evt_forged", "cs_test_forged", "39", "mensuel", 4900);
    deliver(&w, &body).await;
    assert_eq!(
        outcome(&w, "evt_forged").await,
        "rejected: session not created by this relay"
    );
    // A Payment Link names its company only in `client_reference_id`, which the payer sets.
    let mut link: Value = serde_json::from_str(&body).unwrap();
    link["id"] = json!("evt_link");
    link["data"]["object"]["metadata"] = json!({});
    deliver(&w, &link.to_string()).await;
    assert_eq!(
        outcome(&w, "evt_link").await,
        "rejected: session not created by this relay"
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM checkout_sessions").await, 0);
    assert_eq!(w.expiry().await, None);
    assert_eq!(w.count("SELECT COUNT(*) FROM factures").await, 0);
}

async fn a_session_whose_metadata_disagrees_with_the_one_created_is_rejected(backend: Backend) {
    let (w, _) = with_a_second_company(backend).await;
    w.created_sessions(&["cs_test_owned".into()], "mensuel")
        .await;
    let for_40 = paid_checkout_event("evt_40", "cs_test_owned", "40", "mensuel", 4900);
    let yearly = paid_checkout_event("evt_year", "cs_test_owned", "39", "annuel", 49900);
    for (event, body) in [("evt_40", for_40), ("evt_year", yearly)] {
        deliver(&w, &body).await;
        let said = outcome(&w, event).await;
        assert!(
            said.contains("disagrees with the session created"),
            "{said}"
        );
    }
    nothing_granted(&w, "cs_test_owned").await;
    let version = "SELECT COUNT(*) FROM subscriptions WHERE expires_at IS NOT NULL";
    assert_eq!(w.count(version).await, 0, "neither company gained access");
    // The genuine event still fulfils it: the forged ones did not use the session up.
    deliver(
        &w,
        &paid_checkout_event("evt_ok", "cs_test_owned", "39", "mensuel", 4900),
    )
    .await;
    assert_eq!(outcome(&w, "evt_ok").await, "fulfilled");
}

/// The subscription's first `invoice.paid`, as the sandbox sent it.
fn first_invoice_paid(w: &World) -> Value {
    let event = w
        .sandbox
        .events()
        .into_iter()
        .find(|e| e.event_type == "invoice.paid")
        .unwrap();
    serde_json::from_str(&event.body).unwrap()
}

async fn an_invoice_is_for_the_holder_of_its_customer_whatever_its_metadata_says(backend: Backend) {
    let (w, other) = with_a_second_company(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    let mut forged = first_invoice_paid(&w);
    forged["id"] = json!("evt_meta_40");
    forged["data"]["object"]["id"] = json!("in_forged_meta");
    let meta = "/data/object/parent/subscription_details/metadata/client_id";
    *forged.pointer_mut(meta).unwrap() = json!("40");
    deliver(&w, &forged.to_string()).await;
    let said = outcome(&w, "evt_meta_40").await;
    assert!(said.contains("metadata names client 40"), "{said}");
    let mut stranger = first_invoice_paid(&w);
    stranger["id"] = json!("evt_stranger");
    stranger["data"]["object"]["id"] = json!("in_stranger");
    stranger["data"]["object"]["customer"] = json!("cus_not_ours");
    deliver(&w, &stranger.to_string()).await;
    let said = outcome(&w, "evt_stranger").await;
    assert!(
        said.contains("customer not created by this relay"),
        "{said}"
    );
    assert_eq!(w.paid_invoices().await, 1, "the genuine first invoice only");
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    let of_40 = w.state.db.subscription(&other).await.unwrap().unwrap();
    assert_eq!(of_40.expires_at, None);
}

/// A `customer.subscription.updated` notification carrying `read` as what the relay read.
fn notified(sub: &str, read: relay::renewal::facts::SubscriptionFacts) -> relay::fulfil::Work {
    let id = format!("evt_read_{}", read.read_at);
    let body = event_body(
        &id,
        "customer.subscription.updated",
        json!({"id": sub, "object": "subscription"}),
        now(),
    );
    relay::fulfil::Work::Event {
        event: relay::stripe::parse_event(body.as_bytes()).unwrap(),
        payload: body,
        subscription: Some(read),
        refunds: Vec::new(),
    }
}

async fn an_older_read_of_a_subscription_applied_last_changes_nothing(backend: Backend) {
    let w = start(backend).await;
    let (clock, _) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    let sub = w.subscription_id().await;
    let older = w.state.billing.subscription(&sub).await.unwrap();
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    let path = format!("/v1/subscriptions/{sub}");
    let form = [("cancel_at_period_end", "true".to_owned())];
    w.stripe(reqwest::Method::POST, &path, &form).await;
    let later = w.state.billing.subscription(&sub).await.unwrap();
    assert!(later.read_at > older.read_at && later.cancel_at_period_end);
    w.state.writer.submit(notified(&sub, later)).await.unwrap();
    let stale = w.state.writer.submit(notified(&sub, older)).await.unwrap();
    assert_eq!(
        stale.label(),
        "ignored: older read of the subscription than the one applied"
    );
    let (_, _, renewal) = w.renewal().await;
    assert_eq!(renewal["cancel_at_period_end"], true, "{renewal}");
}

on_both_backends!(
    a_test_mode_event_on_a_live_relay_extends_nothing_and_issues_nothing,
    a_live_event_on_a_test_relay_grants_nothing_and_is_counted,
    a_session_the_relay_never_created_is_rejected_and_changes_nothing,
    a_session_whose_metadata_disagrees_with_the_one_created_is_rejected,
    an_invoice_is_for_the_holder_of_its_customer_whatever_its_metadata_says,
    an_older_read_of_a_subscription_applied_last_changes_nothing,
);
