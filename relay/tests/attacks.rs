//! The attacks of the security review, each named and shown to fail: holding long polls by the
//! thousand, a revoked company still served through a held poll or a renew link, a flood of
//! refused requests stalling the log.

mod common;

use std::time::Duration;

use common::{Backend, World, start};
use relay::domain::ClientId;

/// A long poll that will be held (`since` is the current version).
fn hold(w: &World, token: &str) -> tokio::task::JoinHandle<(u16, Option<String>)> {
    let (http, url, token) = (
        w.http.clone(),
        format!("{}/api/subscription?wait=20&since=0", w.base),
        token.to_owned(),
    );
    tokio::spawn(async move {
        let r = http.get(url).bearer_auth(token).send().await.unwrap();
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        (r.status().as_u16(), retry)
    })
}

async fn until_held(w: &World, n: usize) {
    for _ in 0..200 {
        if w.state.long_polls.held() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{n} long polls were not held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_token_cannot_hold_more_than_four_long_polls() {
    let w = start(Backend::Sqlite).await;
    let held: Vec<_> = (0..4).map(|_| hold(&w, &w.token)).collect();
    until_held(&w, 4).await;
    let fifth = hold(&w, &w.token).await.unwrap();
    assert_eq!(
        fifth,
        (429, Some("5".into())),
        "the fifth wait is refused with Retry-After"
    );
    let other = w
        .state
        .db
        .add_client(&ClientId::parse("40").unwrap(), "Charpentes Martin")
        .await
        .unwrap();
    let theirs = hold(&w, &other);
    until_held(&w, 5).await;
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("relay_requests_refused_total{code=\"too_many_waits\"} 1"),
        "{metrics}"
    );
    w.stop();
    for h in held.into_iter().chain([theirs]) {
        assert_eq!(h.await.unwrap().0, 200, "another company is not affected");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_held_before_a_revocation_gets_no_fresh_entitlement() {
    let w = start(Backend::Sqlite).await;
    let waiter = {
        let (http, url, token) = (
            w.http.clone(),
            format!("{}/api/subscription?wait=20&since=0", w.base),
            w.token.clone(),
        );
        tokio::spawn(async move {
            let r = http.get(url).bearer_auth(token).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        })
    };
    until_held(&w, 1).await;
    w.state.db.revoke_client(&w.client).await.unwrap();
    w.state.changes.publish("39", 1); // as a payment committed after the revocation would
    let (code, body) = waiter.await.unwrap();
    assert_eq!(code, 401, "{body}");
    assert!(!body.contains("entitlement"), "{body}");
}

#[tokio::test]
async fn a_renew_link_stops_working_when_its_company_is_revoked() {
    let w = start(Backend::Sqlite).await;
    let (_, body) = w.post_json("/api/renew-link", Some(&w.token), "").await;
    let url = body["url"].as_str().unwrap().to_owned();
    assert_eq!(w.http.get(&url).send().await.unwrap().status(), 200);
    w.state.db.revoke_client(&w.client).await.unwrap();
    let page = w.http.get(&url).send().await.unwrap();
    assert_eq!(page.status(), 403);
    assert!(page.text().await.unwrap().contains("révoqué"));
    let link = url.split("link=").nth(1).unwrap();
    let pay = w.renew_form(link, "annuel").await;
    assert_eq!(pay.status(), 403, "no checkout for a revoked company");
    assert_eq!(w.count("SELECT COUNT(*) FROM checkout_sessions").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_refused_requests_is_counted_not_logged_line_by_line() {
    let w = start(Backend::Sqlite).await;
    for _ in 0..200 {
        let r = w
            .http
            .post(format!("{}/api/stripe/webhook", w.base))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("relay_requests_refused_total{code=\"invalid_signature\"} 200"),
        "{metrics}"
    );
}

/// A relay whose Stripe never answers (a closed port): any look-up would show as « unverified ».
async fn relay_without_stripe() -> (common::TestDb, relay::startup::Running) {
    let db = common::TestDb::new(Backend::Sqlite).await;
    let running = common::start_relay(&db.url, "http://127.0.0.1:9").await;
    (db, running)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_session_ids_on_the_success_page_never_reach_stripe() {
    let (_db, relay) = relay_without_stripe().await;
    let http = reqwest::Client::new();
    let made_up = (0..50).map(|i| format!("cs_test_{i:0>58}"));
    let other_mode = [
        "cs_live_a1b2c3".to_owned(),
        "cs_x".to_owned(),
        "pi_123".to_owned(),
    ];
    for id in made_up.chain(other_mode) {
        let r = http
            .get(format!("{}/payment-success?session_id={id}", relay.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{id} is unknown without asking Stripe");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_page_lookups_beyond_five_a_second_wait_for_a_reload() {
    let (_db, relay) = relay_without_stripe().await;
    let client = ClientId::parse("39").unwrap();
    relay
        .state
        .db
        .add_client(&client, "Maçonnerie Dupont")
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let mut codes = Vec::new();
    let started = std::time::Instant::now();
    for i in 0..20 {
        let id = relay::domain::SessionId::parse(&format!("cs_test_flood_{i}")).unwrap();
        record_session(&relay.state, &id, &client).await;
        let r = http
            .get(format!("{}/payment-success?session_id={id}", relay.base))
            .send()
            .await
            .unwrap();
        codes.push(r.status().as_u16());
        if r.status() == 503 {
            assert!(r.headers().contains_key("retry-after"));
            let text = r.text().await.unwrap();
            assert!(
                text.contains(
                    "Paiement en cours de vérification, rechargez la page dans un instant"
                )
            );
        }
    }
    // A burst of 5, then 5 a second.
    let allowed = 5 + (5.0 * started.elapsed().as_secs_f64()).ceil() as usize;
    let asked = codes.iter().filter(|c| **c == 502).count();
    assert!(
        asked >= 5 && asked <= allowed,
        "Stripe asked {asked} times (≤ {allowed}): {codes:?}"
    );
    assert_eq!(
        codes.iter().filter(|c| **c == 503).count(),
        20 - asked,
        "{codes:?}"
    );
}

/// The look-up budget was shared by everyone: one stored open session polled in a loop kept it
/// spent, and every other payer got the « busy » page. Each session now has its own first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_one_open_session_leaves_the_lookup_budget_to_other_payers() {
    let (_db, relay) = relay_without_stripe().await;
    let client = ClientId::parse("39").unwrap();
    relay.state.db.add_client(&client, "X").await.unwrap();
    let http = reqwest::Client::new();
    let page = |id: &str| http.get(format!("{}/payment-success?session_id={id}", relay.base));
    for id in ["cs_test_polled", "cs_test_other_payer"] {
        let id = relay::domain::SessionId::parse(id).unwrap();
        record_session(&relay.state, &id, &client).await;
    }
    let mut polled = Vec::new();
    for _ in 0..30 {
        polled.push(
            page("cs_test_polled")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    assert_eq!(polled[0], 502, "asked Stripe once (unreachable here)");
    assert!(polled[1..].iter().all(|c| *c == 503), "{polled:?}");
    let other = page("cs_test_other_payer").send().await.unwrap();
    assert_eq!(
        other.status(),
        502,
        "another payer's page still asks Stripe"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_half_a_request_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = common::TestDb::new(Backend::Sqlite).await;
    let relay = common::start_relay_with(
        &db.url,
        "http://127.0.0.1:9",
        &[("RELAY_HEADER_TIMEOUT_SECS", "1")],
    )
    .await;
    let addr = relay.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Slow: ")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "the connection is still held after 10 s");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(!String::from_utf8_lossy(&rest).contains("200 OK"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_not_served_within_the_deadline_gets_408_and_stores_nothing() {
    let stripe = common::silent_stripe();
    let db = common::TestDb::new(Backend::Sqlite).await;
    let relay =
        common::start_relay_with(&db.url, &stripe, &[("RELAY_REQUEST_TIMEOUT_SECS", "1")]).await;
    let token = common::paying_client(&relay.state.db, "39", "Maçonnerie Dupont").await;
    let started = std::time::Instant::now();
    let r = common::create_checkout(&reqwest::Client::new(), &relay.base, &token).await;
    assert_eq!(r.status(), 408);
    assert!(started.elapsed() < Duration::from_secs(5));
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "request_timeout");
    use sqlx::Row;
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&relay.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, 0);
    // The long poll is not cut by the deadline: it is held for its own `wait`.
    let polled = reqwest::Client::new()
        .get(format!("{}/api/subscription?wait=2&since=0", relay.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(polled.status(), 200);
}

#[tokio::test]
async fn metrics_are_not_served_on_the_public_address() {
    let w = start(Backend::Sqlite).await;
    assert_eq!(w.get("/metrics").await.status(), 404);
    assert!(w.metrics().await.contains("relay_http_requests_total"));
}

/// Records `id` for `client`, plan mensuel, as the relay records the sessions it creates.
async fn record_session(
    state: &relay::AppState,
    id: &relay::domain::SessionId,
    client: &relay::domain::ClientId,
) {
    let mensuel = relay::domain::PlanId::parse("mensuel").unwrap();
    let epoch = relay::core::Timestamp::from_unix(0);
    state
        .db
        .record_new_session(id, client, &mensuel, 4900, false, state.origin, epoch)
        .await
        .unwrap();
}
