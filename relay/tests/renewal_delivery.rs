//! Renewal events as Stripe really delivers them: reversed and duplicated, `invoice.paid` alone or
//! before its checkout, in an older API version's shape, a month of them lost and restored by
//! reconciliation, and every one sent to two instances at once. The end state is always exact.

mod common;

use common::billing::{CARD_DECLINES, CARD_PAYS, months_after};
use common::{Backend, World, start};
use stripe_sandbox::{DeliveryOptions, FlushOrder};

const HOUR: i64 = 3600;

/// Subscribes on a fresh clock; returns the clock and the start of the first period.
async fn subscribed(w: &World, plan: &str) -> (String, i64) {
    let (clock, start) = w.new_clock().await;
    w.subscribe(plan, &clock).await;
    (clock, start)
}

/// Delivers the held events of one step in `order`, each duplicated.
async fn deliver_held(w: &World, order: FlushOrder) {
    w.sandbox.set_delivery_options(DeliveryOptions {
        duplicates: 2,
        ..Default::default()
    });
    w.sandbox.flush(order).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
}

async fn every_new_event_in_reverse_order_and_duplicated_ends_in_the_same_state(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        ..Default::default()
    });
    w.subscribe("mensuel", &clock).await;
    deliver_held(&w, FlushOrder::Reverse).await;
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    w.replace_card(CARD_DECLINES).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        ..Default::default()
    });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        ..Default::default()
    });
    w.replace_card(CARD_PAYS).await;
    deliver_held(&w, FlushOrder::Reverse).await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(status, "active");
    assert_eq!(
        renewal["state"], "active",
        "a late payment_failed never undoes the payment: {renewal}"
    );
    assert_eq!(renewal["payment_failed"], false);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
}

async fn invoice_paid_alone_or_before_the_checkout_counts_once(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    w.subscribe("mensuel", &clock).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    let events = w.sandbox.events();
    let body = |kind: &str| {
        events
            .iter()
            .find(|e| e.event_type == kind)
            .unwrap()
            .body
            .clone()
    };
    let sign = |b: &str| stripe_sandbox::fixtures::sign_now(common::SECRET, b);
    let paid = body("invoice.paid");
    assert_eq!(w.deliver(&paid, Some(&sign(&paid))).await, 200);
    assert_eq!(
        w.paid_until().await,
        Some(months_after(t0, 1)),
        "without checkout.session.completed"
    );
    let completed = body("checkout.session.completed");
    assert_eq!(w.deliver(&completed, Some(&sign(&completed))).await, 200);
    assert_eq!(w.deliver(&paid, Some(&sign(&paid))).await, 200);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    assert_eq!(
        w.paid_invoices().await,
        1,
        "the first invoice and its checkout count once"
    );
    assert_eq!(w.renewal().await.2["mode"], "auto");
}

async fn a_month_of_lost_webhooks_is_restored_by_reconciliation_once(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    assert_eq!(
        w.paid_until().await,
        Some(months_after(t0, 1)),
        "the renewal's webhooks were lost"
    );
    let report = relay::reconcile::run(&w.state, 72 * HOUR).await.unwrap();
    assert_eq!(
        report.applied, 2,
        "the renewal invoice and the subscription's new period: {:?}",
        report.lines
    );
    assert_eq!(report.rejected, 0, "{:?}", report.lines);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
    let again = relay::reconcile::run(&w.state, 72 * HOUR).await.unwrap();
    assert_eq!(again.applied, 0, "{:?}", again.lines);
    assert!(
        again.lines.iter().all(|l| l.ends_with("déjà appliqué")),
        "{:?}",
        again.lines
    );
}

async fn reconciliation_and_live_webhooks_at_the_same_moment_apply_each_event_once(
    backend: Backend,
) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        duplicates: 1,
        ..Default::default()
    });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    let (report, _) = tokio::join!(
        relay::reconcile::run(&w.state, 72 * HOUR),
        w.sandbox.flush(FlushOrder::Forward)
    );
    let report = report.unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.lines);
    assert_eq!(report.applied + report.already, 2, "{:?}", report.lines);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
    let journalled = "SELECT COUNT(*) FROM stripe_events WHERE event_type = 'invoice.paid'";
    assert_eq!(w.count(journalled).await, 2, "each event journalled once");
}

/// `relay reconcile` as an operator runs it, then `serve`'s own schedule.
async fn the_reconcile_command_and_the_schedule_restore_lost_webhooks(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    let vars = common::env(&w.db.url, &w.base, &w.sandbox_base);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["reconcile", "--since", "72h"])
        .env_clear()
        .envs(&vars)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(printed.contains("invoice.paid : appliqué"), "{printed}");
    assert!(
        printed.contains(" 2 appliqué(s), 3 déjà appliqué(s), 0 rejeté(s)"),
        "{printed}"
    );
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    // A second month lost, repaired by the schedule of a relay started with it.
    let scheduled = common::start_relay_with(
        &w.db.url,
        &w.sandbox_base,
        &[("RELAY_RECONCILE_EVERY", "1s")],
    )
    .await;
    w.advance(&clock, months_after(t0, 2) + 2 * HOUR).await;
    scheduled.state.clock.set(w.state.clock.now());
    for _ in 0..50 {
        if w.paid_until().await == Some(months_after(t0, 3)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        w.paid_until().await,
        Some(months_after(t0, 3)),
        "the schedule ran"
    );
    scheduled.stop();
}

async fn an_invoice_in_the_pre_2025_03_31_shape_counts_the_same(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    let paid = w
        .sandbox
        .events()
        .into_iter()
        .rev()
        .find(|e| e.event_type == "invoice.paid")
        .unwrap();
    let old = in_the_old_shape(&paid.body);
    assert!(!old.contains("subscription_item_details"));
    let header = stripe_sandbox::fixtures::sign_now(common::SECRET, &old);
    assert_eq!(w.deliver(&old, Some(&header)).await, 200);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
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

/// Several instances share PostgreSQL only (SQLite is one relay's file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_receiving_every_renewal_event_apply_each_once() {
    let w = start(Backend::Postgres).await;
    let other = common::start_relay(&w.db.url, &w.sandbox_base).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    w.replace_card(CARD_DECLINES).await;
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    w.replace_card(CARD_PAYS).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    let events: Vec<String> = w
        .sandbox
        .events()
        .into_iter()
        .skip(6)
        .map(|e| e.body)
        .collect();
    let mut sent = Vec::new();
    for body in &events {
        for base in [&w.base, &other.base] {
            let request = w.send_webhook(base, body);
            sent.push(tokio::spawn(request));
        }
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap().unwrap().status(), 200);
    }
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(w.paid_invoices().await, 2);
    let (_, _, renewal) = w.renewal().await;
    assert_eq!(
        (
            renewal["state"].as_str(),
            renewal["payment_failed"].as_bool()
        ),
        (Some("active"), Some(false))
    );
    other.stop();
}

on_both_backends!(
    every_new_event_in_reverse_order_and_duplicated_ends_in_the_same_state,
    invoice_paid_alone_or_before_the_checkout_counts_once,
    a_month_of_lost_webhooks_is_restored_by_reconciliation_once,
    an_invoice_in_the_pre_2025_03_31_shape_counts_the_same,
    reconciliation_and_live_webhooks_at_the_same_moment_apply_each_event_once,
    the_reconcile_command_and_the_schedule_restore_lost_webhooks,
);
