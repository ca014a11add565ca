//! Automatic renewal end to end, relay ⇄ sandbox over real HTTP, on test clocks: a year of
//! monthly renewals, a yearly plan over two years, a failed renewal repaired or left to lapse,
//! cancellation at period end, events in any order or lost and reconciled. Dates are checked
//! exactly (calendar months, as Stripe bills), so a period counted twice cannot hide.

mod common;

use common::billing::{CARD_DECLINES, CARD_PAYS, months_after};
use common::{Backend, DAY, World, start};
use stripe_sandbox::{DeliveryOptions, FlushOrder};

const HOUR: i64 = 3600;

/// Subscribes on a fresh clock; returns the clock and the start of the first period.
async fn subscribed(w: &World, plan: &str) -> (String, i64) {
    let (clock, start) = w.new_clock().await;
    let session = w.subscribe(plan, &clock).await;
    assert_eq!(w.session_state(&session).await, "fulfilled");
    (clock, start)
}

async fn a_year_of_monthly_renewals_keeps_access_exact_and_uninterrupted(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(status, "active");
    assert_eq!(renewal["mode"], "auto");
    assert_eq!(renewal["card_last4"], "4242");
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    for month in 1..=11 {
        let boundary = months_after(t0, month);
        // Half an hour after the period ended, the renewal invoice is not charged yet: the
        // margin keeps the company working.
        w.advance(&clock, boundary + HOUR / 2).await;
        let (status, expires, _) = w.renewal().await;
        assert_eq!(status, "active", "month {month}: access during the renewal");
        assert_eq!(expires, Some(boundary + 2 * DAY));
        w.advance(&clock, boundary + 2 * HOUR).await;
        assert_eq!(w.paid_until().await, Some(months_after(t0, month + 1)), "month {month}");
        let (status, expires, renewal) = w.renewal().await;
        assert_eq!(status, "active");
        assert_eq!(expires, Some(months_after(t0, month + 1) + 2 * DAY));
        assert_eq!(renewal["state"], "active");
        let next = chrono::DateTime::parse_from_rfc3339(renewal["next_charge_at"].as_str().unwrap());
        assert_eq!(next.unwrap().timestamp(), months_after(t0, month + 1));
    }
    assert_eq!(w.paid_invoices().await, 12, "the first invoice and eleven renewals");
    assert_eq!(w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 4900").await, 12);
    assert!(w.metrics().await.contains("relay_renewals_total{result=\"paid\"}"));
}

async fn a_yearly_plan_renews_over_two_years(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "annuel").await;
    assert_eq!(w.paid_until().await, Some(months_after(t0, 12)));
    for year in 1..=2 {
        w.advance(&clock, months_after(t0, 12 * year) + 2 * HOUR).await;
        assert_eq!(w.paid_until().await, Some(months_after(t0, 12 * (year + 1))));
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 49900").await, 3);
}

async fn a_failed_renewal_is_past_due_in_its_grace_then_paid_by_a_new_card(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.replace_card(CARD_DECLINES).await;
    let boundary = months_after(t0, 1);
    w.advance(&clock, boundary + 2 * HOUR).await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!((status.as_str(), renewal["state"].as_str()), ("active", Some("past_due")));
    assert_eq!(renewal["payment_failed"], true);
    assert_eq!(expires, Some(boundary + 7 * DAY), "the grace, not the margin");
    // After the margin would have ended, the grace still gives access.
    w.advance(&clock, boundary + 4 * DAY).await;
    assert_eq!(w.renewal().await.0, "active");
    w.replace_card(CARD_PAYS).await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!((status.as_str(), renewal["state"].as_str()), ("active", Some("active")));
    assert_eq!(renewal["payment_failed"], false);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(expires, Some(months_after(t0, 2) + 2 * DAY));
}

async fn a_failed_renewal_left_alone_ends_access_after_the_grace_then_is_cancelled(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.replace_card(CARD_DECLINES).await;
    let boundary = months_after(t0, 1);
    w.advance(&clock, boundary + 7 * DAY - 60).await;
    assert_eq!(w.renewal().await.0, "active", "a minute before the grace ends");
    w.advance(&clock, boundary + 7 * DAY + 1).await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!((status.as_str(), renewal["state"].as_str()), ("expired", Some("past_due")));
    // Stripe's last retry fails an hour later and it cancels the subscription.
    w.advance(&clock, boundary + 8 * DAY).await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!((status.as_str(), renewal["state"].as_str()), ("expired", Some("canceled")));
    assert_eq!(expires, Some(boundary), "access ran to the paid period, plus the grace while retried");
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events WHERE event_type = 'customer.subscription.deleted'").await, 1);
    assert_eq!(w.paid_invoices().await, 1);
}

async fn cancelling_at_period_end_keeps_access_to_the_end_and_charges_nothing_more(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    let sub = w.subscription_id().await;
    w.stripe(reqwest::Method::POST, &format!("/v1/subscriptions/{sub}"), &[("cancel_at_period_end", "true".into())])
        .await;
    w.sandbox.idle().await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!(status, "active");
    assert_eq!(expires, Some(months_after(t0, 1)), "no margin once renewal is off");
    assert_eq!((renewal["cancel_at_period_end"].as_bool(), renewal["next_charge_at"].as_str()), (Some(true), None));
    w.advance(&clock, months_after(t0, 1) + 3 * DAY).await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!((status.as_str(), renewal["state"].as_str()), ("expired", Some("canceled")));
    assert_eq!(w.paid_invoices().await, 1, "no further invoice");
    // Cancelled, the company may subscribe again.
    let (code, _) = w
        .post_json("/api/stripe/create-checkout-session", Some(&w.token), r#"{"plan":"mensuel","renewal":"once"}"#)
        .await;
    assert_eq!(code, 200);
}

async fn a_live_subscription_refuses_a_second_checkout_of_either_kind(backend: Backend) {
    let w = start(backend).await;
    subscribed(&w, "mensuel").await;
    for renewal in ["auto", "once"] {
        let (code, body) = w
            .post_json("/api/stripe/create-checkout-session", Some(&w.token), &format!(r#"{{"plan":"annuel","renewal":"{renewal}"}}"#))
            .await;
        assert_eq!(code, 409, "{body}");
        assert_eq!(body["error"]["code"], "subscription_live");
        assert!(body["error"]["message"].as_str().unwrap().contains("Gérer le paiement"));
    }
}

/// Delivers the held events of one step in `order`, each duplicated.
async fn deliver_held(w: &World, order: FlushOrder) {
    w.sandbox.set_delivery_options(DeliveryOptions { duplicates: 2, ..Default::default() });
    w.sandbox.flush(order).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
}

async fn every_new_event_in_reverse_order_and_duplicated_ends_in_the_same_state(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.sandbox.set_delivery_options(DeliveryOptions { hold: true, ..Default::default() });
    w.subscribe("mensuel", &clock).await;
    deliver_held(&w, FlushOrder::Reverse).await;
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    w.replace_card(CARD_DECLINES).await;
    w.sandbox.set_delivery_options(DeliveryOptions { hold: true, ..Default::default() });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    w.sandbox.set_delivery_options(DeliveryOptions { hold: true, ..Default::default() });
    w.replace_card(CARD_PAYS).await;
    deliver_held(&w, FlushOrder::Reverse).await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(status, "active");
    assert_eq!(renewal["state"], "active", "a late payment_failed never undoes the payment: {renewal}");
    assert_eq!(renewal["payment_failed"], false);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
}

async fn invoice_paid_alone_or_before_the_checkout_counts_once(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.sandbox.set_delivery_options(DeliveryOptions { drop: true, ..Default::default() });
    w.subscribe("mensuel", &clock).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    let events = w.sandbox.events();
    let body = |kind: &str| events.iter().find(|e| e.event_type == kind).unwrap().body.clone();
    let sign = |b: &str| stripe_sandbox::fixtures::sign_now(common::SECRET, b);
    let paid = body("invoice.paid");
    assert_eq!(w.deliver(&paid, Some(&sign(&paid))).await, 200);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)), "without checkout.session.completed");
    let completed = body("checkout.session.completed");
    assert_eq!(w.deliver(&completed, Some(&sign(&completed))).await, 200);
    assert_eq!(w.deliver(&paid, Some(&sign(&paid))).await, 200);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    assert_eq!(w.paid_invoices().await, 1, "the first invoice and its checkout count once");
    assert_eq!(w.renewal().await.2["mode"], "auto");
}

async fn a_month_of_lost_webhooks_is_restored_by_reconciliation_once(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions { drop: true, ..Default::default() });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)), "the renewal's webhooks were lost");
    let report = relay::reconcile::run(&w.state, 72 * HOUR).await.unwrap();
    assert_eq!(report.applied, 2, "the renewal invoice and the subscription's new period: {:?}", report.lines);
    assert_eq!(report.rejected, 0, "{:?}", report.lines);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
    let again = relay::reconcile::run(&w.state, 72 * HOUR).await.unwrap();
    assert_eq!(again.applied, 0, "{:?}", again.lines);
    assert!(again.lines.iter().all(|l| l.ends_with("déjà appliqué")), "{:?}", again.lines);
}

async fn prepaid_time_is_used_up_before_the_first_automatic_charge(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.buy("mensuel").await;
    let prepaid = w.expiry().await.unwrap();
    assert!((prepaid - (t0 + 30 * DAY)).abs() <= 5);
    w.subscribe("annuel", &clock).await;
    assert_eq!(w.paid_until().await, Some(prepaid), "the first invoice is a zero one up to the prepaid end");
    assert_eq!(w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 0").await, 1);
    let (_, expires, renewal) = w.renewal().await;
    assert_eq!(expires, Some(prepaid + 2 * DAY));
    let next = chrono::DateTime::parse_from_rfc3339(renewal["next_charge_at"].as_str().unwrap());
    assert_eq!(next.unwrap().timestamp(), prepaid, "first charged when the prepaid time ends");
    w.advance(&clock, prepaid + 2 * HOUR).await;
    assert_eq!(w.paid_until().await, Some(months_after(prepaid, 12)));
    assert_eq!(w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 49900").await, 1);
}

/// The same `invoice.paid`, as an account on an API version before 2025-03-31 sends it.
fn in_the_old_shape(body: &str) -> String {
    let mut event: serde_json::Value = serde_json::from_str(body).unwrap();
    let invoice = &mut event["data"]["object"];
    let parent = invoice["parent"]["subscription_details"].take();
    invoice["subscription"] = parent["subscription"].clone();
    invoice["subscription_details"] = serde_json::json!({"metadata": parent["metadata"]});
    invoice.as_object_mut().unwrap().remove("parent");
    for line in invoice["lines"]["data"].as_array_mut().unwrap() {
        line["subscription"] = line["parent"]["subscription_item_details"]["subscription"].clone();
        line.as_object_mut().unwrap().remove("parent");
    }
    event["api_version"] = "2024-06-20".into();
    event["id"] = format!("{}_old", event["id"].as_str().unwrap()).into();
    event.to_string()
}

async fn an_invoice_in_the_pre_2025_03_31_shape_counts_the_same(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions { drop: true, ..Default::default() });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    let paid = w.sandbox.events().into_iter().rev().find(|e| e.event_type == "invoice.paid").unwrap();
    let old = in_the_old_shape(&paid.body);
    assert!(!old.contains("subscription_item_details"));
    let header = stripe_sandbox::fixtures::sign_now(common::SECRET, &old);
    assert_eq!(w.deliver(&old, Some(&header)).await, 200);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
}

/// Several instances share PostgreSQL only (SQLite is one relay's file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_receiving_every_renewal_event_apply_each_once() {
    let w = start(Backend::Postgres).await;
    let other = common::start_relay(&w.db.url, &w.sandbox_base).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions { drop: true, ..Default::default() });
    w.replace_card(CARD_DECLINES).await;
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    w.replace_card(CARD_PAYS).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    let events: Vec<String> = w.sandbox.events().into_iter().skip(6).map(|e| e.body).collect();
    let mut sent = Vec::new();
    for body in &events {
        for base in [&w.base, &other.base] {
            let header = stripe_sandbox::fixtures::sign_now(common::SECRET, body);
            let request = w
                .http
                .post(format!("{base}/api/stripe/webhook"))
                .header("stripe-signature", header)
                .header("content-type", "application/json")
                .body(body.clone())
                .send();
            sent.push(tokio::spawn(request));
        }
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
    let (_, _, renewal) = w.renewal().await;
    assert_eq!((renewal["state"].as_str(), renewal["payment_failed"].as_bool()), (Some("active"), Some(false)));
    other.stop();
}

on_both_backends!(
    prepaid_time_is_used_up_before_the_first_automatic_charge,
    an_invoice_in_the_pre_2025_03_31_shape_counts_the_same,

    a_year_of_monthly_renewals_keeps_access_exact_and_uninterrupted,
    a_yearly_plan_renews_over_two_years,
    a_failed_renewal_is_past_due_in_its_grace_then_paid_by_a_new_card,
    a_failed_renewal_left_alone_ends_access_after_the_grace_then_is_cancelled,
    cancelling_at_period_end_keeps_access_to_the_end_and_charges_nothing_more,
    a_live_subscription_refuses_a_second_checkout_of_either_kind,
    every_new_event_in_reverse_order_and_duplicated_ends_in_the_same_state,
    invoice_paid_alone_or_before_the_checkout_counts_once,
    a_month_of_lost_webhooks_is_restored_by_reconciliation_once,
);
