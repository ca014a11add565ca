//! The sandbox's Billing slice over real HTTP, as async-stripe would see it: every object it
//! returns parses with async-stripe's strict typed structs; a subscription checkout on a test
//! clock, renewals at each boundary an advance crosses (finalised an hour later), a card that
//! declines renewals, retries and cancellation, and the event list's filters and pagination.

mod common;

use common::{DAY, KEY, SECRET, T0, start};
use reqwest::StatusCode;
use serde_json::Value;

/// Parses `json` with async-stripe's own (miniserde) parser into `T`, as its client does.
fn typed<T: miniserde::Deserialize>(json: &Value) -> T {
    miniserde::json::from_str(&json.to_string())
        .unwrap_or_else(|e| panic!("async-stripe refuses {}: {e}", json["object"]))
}

#[tokio::test]
async fn billing_objects_parse_with_async_stripes_typed_structs() {
    let w = start(&[SECRET]).await;
    let (clock, customer, sub) = w.subscribed("4242424242424242").await;
    let _: stripe_shared::TestHelpersTestClock = typed(
        &w.get(&format!("/v1/test_helpers/test_clocks/{clock}"))
            .await,
    );
    let c: stripe_shared::Customer = typed(&w.get(&format!("/v1/customers/{customer}")).await);
    assert_eq!(c.test_clock.unwrap().id().as_str(), clock);
    let expanded = w
        .get(&format!(
            "/v1/subscriptions/{sub}?expand[]=default_payment_method&expand[]=latest_invoice"
        ))
        .await;
    let s: stripe_shared::Subscription = typed(&expanded);
    assert_eq!(s.status, stripe_shared::SubscriptionStatus::Active);
    assert_eq!(s.items.data[0].current_period_end, T0 + 31 * DAY);
    let _: stripe_shared::PaymentMethod = typed(&expanded["default_payment_method"]);
    let invoice: stripe_shared::Invoice = typed(&expanded["latest_invoice"]);
    assert_eq!(
        (invoice.amount_paid, invoice.lines.data[0].period.end),
        (4900, T0 + 31 * DAY)
    );
    let events = w.get("/v1/events?limit=100").await;
    for event in events["data"].as_array().unwrap() {
        let _: stripe_shared::Event = typed(event);
    }
}

#[tokio::test]
async fn an_advance_renews_at_each_boundary_an_hour_after_the_period_ends() {
    let w = start(&[SECRET]).await;
    let (clock, _, sub) = w.subscribed("4242424242424242").await;
    w.advance(&clock, T0 + 31 * DAY + 1800).await;
    let s = w
        .get(&format!("/v1/subscriptions/{sub}?expand[]=latest_invoice"))
        .await;
    assert_eq!(
        s["latest_invoice"]["status"], "draft",
        "not finalised for an hour"
    );
    assert_eq!(s["items"]["data"][0]["current_period_end"], T0 + 59 * DAY);
    w.advance(&clock, T0 + 90 * DAY + 7200).await;
    let s = w
        .get(&format!("/v1/subscriptions/{sub}?expand[]=latest_invoice"))
        .await;
    let inv = &s["latest_invoice"];
    assert_eq!(
        (inv["status"].as_str(), inv["amount_paid"].as_i64()),
        (Some("paid"), Some(4900))
    );
    assert_eq!(
        inv["lines"]["data"][0]["period"]["end"],
        T0 + 120 * DAY,
        "April's renewal pays April"
    );
    assert_eq!(
        inv["parent"]["subscription_details"]["metadata"]["plan"],
        "mensuel"
    );
    assert_eq!(inv["status_transitions"]["paid_at"], T0 + 90 * DAY + 3600);
    let paid = w.get("/v1/events?types[]=invoice.paid&limit=100").await;
    assert_eq!(
        paid["data"].as_array().unwrap().len(),
        4,
        "the first invoice and three renewals"
    );
}

#[tokio::test]
async fn a_declining_card_goes_past_due_is_retried_then_cancels_and_a_new_card_pays() {
    let w = start(&[SECRET]).await;
    let (clock, customer, sub) = w.subscribed("4242424242424242").await;
    let card = |n: &str| {
        w.http
            .post(format!("{}/_sandbox/customers/{customer}/card", w.base))
            .json(&serde_json::json!({ "number": n }))
            .send()
    };
    assert_eq!(
        card("4000000000000002").await.unwrap().status(),
        StatusCode::BAD_REQUEST,
        "test cards only"
    );
    assert!(
        card("4000000000000341")
            .await
            .unwrap()
            .status()
            .is_success()
    );
    w.advance(&clock, T0 + 31 * DAY + 2 * 3600).await;
    assert_eq!(
        w.get(&format!("/v1/subscriptions/{sub}")).await["status"],
        "past_due"
    );
    assert!(
        card("4242424242424242")
            .await
            .unwrap()
            .status()
            .is_success()
    );
    assert_eq!(
        w.get(&format!("/v1/subscriptions/{sub}")).await["status"],
        "active",
        "the open invoice paid at once"
    );
    assert!(
        card("4000000000000341")
            .await
            .unwrap()
            .status()
            .is_success()
    );
    w.advance(&clock, T0 + 59 * DAY + 8 * DAY).await;
    assert_eq!(
        w.get(&format!("/v1/subscriptions/{sub}")).await["status"],
        "canceled",
        "after the last retry"
    );
    let failed = w
        .get("/v1/events?type=invoice.payment_failed&limit=100")
        .await;
    assert_eq!(
        failed["data"].as_array().unwrap().len(),
        1 + 4,
        "one failure, then four attempts on the next"
    );
    assert_eq!(
        w.get("/v1/events?type=customer.subscription.deleted").await["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn the_event_list_filters_by_type_and_time_and_pages_newest_first() {
    let w = start(&[SECRET]).await;
    let (clock, _, _) = w.subscribed("4242424242424242").await;
    w.advance(&clock, T0 + 215 * DAY).await;
    let since = T0 + 100 * DAY;
    let mut seen: Vec<Value> = Vec::new();
    let mut after = String::new();
    loop {
        let page = w
            .get(&format!(
                "/v1/events?types[]=invoice.paid&created[gte]={since}&limit=2{after}"
            ))
            .await;
        let data = page["data"].as_array().unwrap().clone();
        seen.extend(data.iter().cloned());
        if page["has_more"] != true {
            break;
        }
        after = format!(
            "&starting_after={}",
            data.last().unwrap()["id"].as_str().unwrap()
        );
    }
    let created: Vec<i64> = seen
        .iter()
        .map(|e| e["created"].as_i64().unwrap())
        .collect();
    assert_eq!(created.len(), 4, "renewals of May to August: {created:?}");
    assert!(created.windows(2).all(|p| p[0] >= p[1]), "newest first");
    assert!(created.iter().all(|c| *c >= since));
    let (status, err) = w
        .post_form(
            "/v1/test_helpers/test_clocks/clock_nope/advance",
            Some(KEY),
            "frozen_time=1",
        )
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("resource_missing"))
    );
}
