//! The webhook endpoint as Stripe meets it: signature rules on the raw bytes, at-least-once and
//! unordered delivery (duplicates, reversed order, concurrent copies, two relay instances on one
//! PostgreSQL database), events it does not handle, and storage failures answered with 5xx.

mod common;

use common::{Backend, DAY, SECRET, World, now, start};
use serde_json::json;
use stripe_sandbox::fixtures::{paid_checkout_event, sign_now};
use stripe_sandbox::webhook::{sign, signature_header};
use stripe_sandbox::{DeliveryOptions, FlushOrder, IBAN_SUCCEEDS};

/// A `checkout.session.completed` for client 39, paid, plan mensuel.
fn completed(event_id: &str, session_id: &str) -> String {
    paid_checkout_event(event_id, session_id, "39", "mensuel", 4900)
}

fn header(body: &str, t: i64) -> String {
    signature_header(&[SECRET.into()], t, body.as_bytes())
}

async fn signature_failures_answer_400_and_store_nothing(backend: Backend) {
    let w = start(backend).await;
    let body = completed("evt_sig", "cs_test_sig");
    let t = now();
    let reformatted =
        serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&body).unwrap())
            .unwrap();
    let cases: Vec<(&str, String, Option<String>)> = vec![
        (
            "wrong secret",
            body.clone(),
            Some(signature_header(
                &["whsec_other".into()],
                t,
                body.as_bytes(),
            )),
        ),
        (
            "tampered body",
            body.replace("4900", "4901"),
            Some(header(&body, t)),
        ),
        (
            "re-serialised with other whitespace",
            reformatted,
            Some(header(&body, t)),
        ),
        ("old timestamp", body.clone(), Some(header(&body, t - 301))),
        ("missing header", body.clone(), None),
        ("garbage header", body.clone(), Some("nonsense".into())),
        (
            "v0 only",
            body.clone(),
            Some(format!("t={t},v0={}", sign(SECRET, t, body.as_bytes()))),
        ),
        ("empty", String::new(), Some(header("", t))),
    ];
    for (what, payload, sig) in cases {
        assert_eq!(w.deliver(&payload, sig.as_deref()).await, 400, "{what}");
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(w.expiry().await, None);
}

async fn any_matching_v1_is_accepted_as_during_a_secret_roll(backend: Backend) {
    let w = start(backend).await;
    w.created_sessions(&["cs_test_roll".into()], "mensuel")
        .await;
    let body = completed("evt_roll", "cs_test_roll");
    let t = now();
    let rolled = format!(
        "t={t},v1={},v1={}",
        sign("whsec_retired", t, body.as_bytes()),
        sign(SECRET, t, body.as_bytes())
    );
    assert_eq!(w.deliver(&body, Some(&rolled)).await, 200);
    assert!(w.expiry().await.is_some());
}

async fn duplicate_deliveries_fulfil_a_session_once(backend: Backend) {
    let w = start(backend).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        duplicates: 4,
        ..Default::default()
    });
    w.buy("mensuel").await;
    assert_eq!(
        w.sandbox
            .deliveries()
            .iter()
            .filter(|d| d.status == 200)
            .count(),
        5
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 1);
    let expiry = w.expiry().await.unwrap();
    assert!(
        (expiry - (now() + 30 * DAY)).abs() <= 5,
        "extended once, not five times"
    );
}

async fn reversed_delivery_of_a_sepa_payment_still_ends_active(backend: Backend) {
    let w = start(backend).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        ..Default::default()
    });
    let (id, url) = w.checkout("mensuel").await;
    w.pay(&url, &[("method", "sepa"), ("iban", IBAN_SUCCEEDS)])
        .await;
    w.sandbox.settle(&id);
    assert_eq!(w.sandbox.flush(FlushOrder::Reverse).await, 2);
    assert_eq!(
        w.session_state(&id).await,
        "fulfilled",
        "the late `completed (unpaid)` does not reopen it"
    );
    assert_eq!(w.status().await["status"], "active");
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 2);
}

async fn concurrent_copies_of_one_event_and_its_twin_fulfil_once(backend: Backend) {
    let w = start(backend).await;
    w.created_sessions(&["cs_test_conc".into()], "mensuel")
        .await;
    let body = completed("evt_conc", "cs_test_conc");
    let twin = body.replace("evt_conc", "evt_twin").replace(
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    );
    let bodies = (0..24)
        .map(|i| {
            if i % 2 == 0 {
                body.clone()
            } else {
                twin.clone()
            }
        })
        .collect();
    let codes = deliver_concurrently(&w.base, bodies).await;
    assert!(codes.iter().all(|c| *c == 200), "{codes:?}");
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 2);
    assert_eq!(
        w.count("SELECT COUNT(*) FROM stripe_events WHERE outcome = 'fulfilled'")
            .await,
        1
    );
    assert!((w.expiry().await.unwrap() - (now() + 30 * DAY)).abs() <= 5);
}

async fn unhandled_event_types_are_kept_and_acknowledged(backend: Backend) {
    let w = start(backend).await;
    let body = json!({"id": "evt_pi", "type": "payment_intent.succeeded", "api_version": "2020-08-27", "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}).to_string();
    assert_eq!(w.deliver(&body, Some(&header(&body, now()))).await, 200);
    use sqlx::Row;
    let row = sqlx::query("SELECT outcome, payload FROM stripe_events WHERE event_id = 'evt_pi'")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap();
    assert_eq!(row.get::<String, _>(0), "ignored: event type not handled");
    assert_eq!(row.get::<String, _>(1), body, "raw body kept as received");
}

async fn a_signed_body_that_is_not_an_event_is_refused(backend: Backend) {
    let w = start(backend).await;
    for body in [
        "[]",
        "{\"id\":1}",
        "not json",
        "{\"type\":\"checkout.session.completed\"}",
    ] {
        assert_eq!(
            w.deliver(body, Some(&header(body, now()))).await,
            400,
            "{body}"
        );
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
}

async fn a_storage_failure_answers_500_so_stripe_retries(backend: Backend) {
    let w = start(backend).await;
    w.created_sessions(&["cs_test_down".into()], "mensuel")
        .await;
    let body = completed("evt_down", "cs_test_down");
    // The writer has connections of its own: the journal is taken away under it instead.
    sqlx::query("ALTER TABLE stripe_events RENAME TO stripe_events_away")
        .execute(&w.state.db.pool)
        .await
        .unwrap();
    assert_eq!(w.deliver(&body, Some(&header(&body, now()))).await, 500);
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events_away").await, 0);
}

on_both_backends!(
    signature_failures_answer_400_and_store_nothing,
    any_matching_v1_is_accepted_as_during_a_secret_roll,
    duplicate_deliveries_fulfil_a_session_once,
    reversed_delivery_of_a_sepa_payment_still_ends_active,
    concurrent_copies_of_one_event_and_its_twin_fulfil_once,
    unhandled_event_types_are_kept_and_acknowledged,
    a_signed_body_that_is_not_an_event_is_refused,
    a_storage_failure_answers_500_so_stripe_retries,
);

/// Posts each body to `target` concurrently, freshly signed; returns the status codes.
async fn deliver_concurrently(target: &str, bodies: Vec<String>) -> Vec<u16> {
    let http = reqwest::Client::new();
    let mut set = tokio::task::JoinSet::new();
    for body in bodies {
        let (http, url) = (http.clone(), format!("{target}/api/stripe/webhook"));
        set.spawn(async move {
            let sig = sign_now(SECRET, &body);
            http.post(url)
                .header("stripe-signature", sig)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    set.join_all().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relay_instances_on_one_postgres_database_fulfil_each_session_once() {
    let w: World = start(Backend::Postgres).await;
    let second_relay = common::start_relay(&w.db.url, &w.sandbox_base).await;
    let second = &second_relay.base;
    let ids: Vec<String> = (0..20).map(|i| format!("cs_test_multi_{i}")).collect();
    w.created_sessions(&ids, "mensuel").await;
    let bodies: Vec<String> = (0..20)
        .map(|i| completed(&format!("evt_multi_{i}"), &format!("cs_test_multi_{i}")))
        .collect();
    let (a, b) = tokio::join!(
        deliver_concurrently(&w.base, bodies.clone()),
        deliver_concurrently(&second, bodies)
    );
    assert!(a.iter().chain(&b).all(|c| *c == 200), "{a:?} {b:?}");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM checkout_sessions WHERE state = 'fulfilled'")
            .await,
        20
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 20);
    let expected = now() + 20 * 30 * DAY;
    assert!(
        (w.expiry().await.unwrap() - expected).abs() <= 10,
        "20 sessions × 30 days, each applied once"
    );
}

/// The same payment twice in one batch (a duplicate delivery and its `async_payment_succeeded`
/// twin), as the group-commit writer can receive them: fulfilled once.
async fn one_batch_holding_the_same_payment_three_times_fulfils_it_once(backend: Backend) {
    use relay::domain::SessionState;
    use relay::fulfil::{Outcome, Work};
    let w = start(backend).await;
    w.created_sessions(&["cs_test_batch".into()], "mensuel")
        .await;
    let body = completed("evt_batch", "cs_test_batch");
    let twin = body.replace("evt_batch", "evt_batch_twin").replace(
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
    );
    let work = |b: &str| Work::Event {
        event: relay::stripe::parse_event(b.as_bytes()).unwrap(),
        payload: b.to_owned(),
        subscription: None,
        refunds: Vec::new(),
    };
    let works = [work(&body), work(&body), work(&twin)];
    let refs: Vec<&Work> = works.iter().collect();
    let mut conn = w.state.db.pool.acquire().await.unwrap();
    let outcomes = relay::writer::commit(
        &mut conn,
        &w.state.plans,
        w.state.origin,
        &refs,
        w.state.clock.timestamp(),
    )
    .await
    .unwrap();
    assert!(
        matches!(outcomes[0], Outcome::Fulfilled { .. }),
        "{outcomes:?}"
    );
    assert_eq!(outcomes[1], Outcome::Duplicate);
    assert_eq!(
        outcomes[2],
        Outcome::AlreadyHandled(SessionState::Fulfilled)
    );
    assert!(
        (w.expiry().await.unwrap() - (now() + 30 * DAY)).abs() <= 5,
        "extended once"
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 2);
}

on_both_backends!(one_batch_holding_the_same_payment_three_times_fulfils_it_once);
