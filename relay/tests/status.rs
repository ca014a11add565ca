//! Subscription status for the desktop app: each state, isolation between clients, the long poll
//! (held, woken by a commit on this or another instance, capped, released at shutdown), the
//! signed entitlement checked with the published key, and renew links.

mod common;

use std::time::{Duration, Instant};

use common::{Backend, DAY, World, now, start};
use erp_btp_protocol::entitlement::{decode_public_key, verify};
use erp_btp_protocol::{EntitlementError, StripeMode, SubscriptionStatus};

async fn poll(w: &World, base: &str, query: &str) -> (SubscriptionStatus, Duration) {
    let started = Instant::now();
    let resp = w
        .http
        .get(format!("{base}/api/subscription?{query}"))
        .bearer_auth(&w.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    (resp.json().await.unwrap(), started.elapsed())
}

async fn each_state_is_reported_with_its_expiry(backend: Backend) {
    let w = start(backend).await;
    let s = w.status().await;
    assert_eq!(
        (
            s["status"].as_str(),
            s["expires_at"].is_null(),
            s["days_remaining"].as_i64()
        ),
        (Some("none"), true, Some(0))
    );
    w.buy("mensuel").await;
    let s = w.status().await;
    let expiry = w.expiry().await.unwrap();
    assert_eq!(s["status"], "active");
    assert_eq!(
        s["expires_at"],
        relay::routes::subscription::rfc3339(expiry)
    );
    assert!(s["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(s["days_remaining"], 30);
    assert_eq!(s["version"], 1);
    w.set_expiry(now() - DAY).await;
    assert_eq!(w.status().await["status"], "expired");
    let (_, url) = w.checkout("mensuel").await;
    w.pay(
        &url,
        &[("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
    )
    .await;
    w.sandbox.idle().await;
    let s = w.status().await;
    assert_eq!(
        (s["status"].as_str(), s["version"].as_i64()),
        (Some("pending"), Some(2))
    );
}

async fn a_client_only_ever_sees_its_own_subscription(backend: Backend) {
    let w = start(backend).await;
    let other = relay::domain::ClientId::parse("40").unwrap();
    let other_token = w
        .state
        .db
        .add_client(&other, "Charpente Martin")
        .await
        .unwrap();
    w.buy("annuel").await;
    let (code, theirs) = w.get_json("/api/subscription", Some(&other_token)).await;
    assert_eq!(code, 200);
    assert_eq!(
        (theirs["client_id"].as_str(), theirs["status"].as_str()),
        (Some("40"), Some("none"))
    );
    assert_eq!(w.status().await["client_id"], "39");
    assert_eq!(w.status().await["status"], "active");
}

async fn a_long_poll_is_held_then_answers_within_a_second_of_the_commit(backend: Backend) {
    let w = start(backend).await;
    let waiter = poll(&w, &w.base, "wait=20&since=0");
    let payer = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        w.buy("mensuel").await;
        Instant::now()
    };
    let ((status, _), committed) = tokio::join!(waiter, payer);
    let answered = Instant::now();
    assert_eq!(status.status, erp_btp_protocol::SubscriptionState::Active);
    assert_eq!(status.version, 1);
    assert!(answered.duration_since(committed) < Duration::from_secs(1));
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("relay_long_poll_wake_seconds_count 1"),
        "{metrics}"
    );
}

async fn since_an_older_version_answers_at_once_and_wait_is_honoured(backend: Backend) {
    let w = start(backend).await;
    w.buy("mensuel").await;
    let (s, took) = poll(&w, &w.base, "wait=30&since=0").await;
    assert_eq!(s.version, 1);
    assert!(took < Duration::from_millis(500), "{took:?}");
    let (s, took) = poll(&w, &w.base, "wait=1&since=1").await;
    assert_eq!(s.version, 1);
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "held for the wait: {took:?}"
    );
    let (_, took) = poll(&w, &w.base, "since=1").await;
    assert!(took < Duration::from_millis(500), "no wait, no hold");
}

async fn the_entitlement_verifies_with_the_published_key_and_a_forgery_does_not(backend: Backend) {
    let w = start(backend).await;
    w.buy("annuel").await;
    let (_, key) = w.get_json("/api/entitlement/public-key", None).await;
    let public = decode_public_key(key["public_key"].as_str().unwrap()).unwrap();
    let s: SubscriptionStatus = serde_json::from_value(w.status().await).unwrap();
    let verified = verify(&public, &s.entitlement).unwrap();
    assert_eq!(verified.payload.key_id, key["key_id"].as_str().unwrap());
    assert_eq!(verified.payload.expires_at, s.expires_at);
    assert_eq!(
        (
            verified.payload.client_id.as_str(),
            verified.payload.version
        ),
        ("39", s.version)
    );
    assert_eq!(verified.payload.status, s.status);
    assert_eq!(
        (verified.payload.mode, s.mode),
        (Some(StripeMode::Test), Some(StripeMode::Test)),
        "both say which Stripe the relay uses"
    );
    let (head, sig) = s.entitlement.split_once('.').unwrap();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged_json = String::from_utf8(b64.decode(head).unwrap())
        .unwrap()
        .replace("\"annuel\"", "\"mensuel\"");
    let forged = format!("{}.{sig}", b64.encode(forged_json));
    assert_eq!(
        verify(&public, &forged).unwrap_err(),
        EntitlementError::BadSignature
    );
}

on_both_backends!(
    each_state_is_reported_with_its_expiry,
    a_client_only_ever_sees_its_own_subscription,
    a_long_poll_is_held_then_answers_within_a_second_of_the_commit,
    since_an_older_version_answers_at_once_and_wait_is_honoured,
    the_entitlement_verifies_with_the_published_key_and_a_forgery_does_not,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_poll_is_woken_through_postgres_by_a_webhook_another_instance_received() {
    let w = start(Backend::Postgres).await;
    let second_relay = common::start_relay(&w.db.url, &w.sandbox_base).await;
    let second = &second_relay.base;
    let waiter = poll(&w, &second, "wait=20&since=0");
    let payer = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        w.buy("mensuel").await; // the sandbox delivers to the first instance
        Instant::now()
    };
    let ((status, held), committed) = tokio::join!(waiter, payer);
    assert!(held >= Duration::from_millis(350), "it was held: {held:?}");
    assert_eq!(status.version, 1);
    assert!(Instant::now().duration_since(committed) < Duration::from_secs(1));
}

#[tokio::test]
async fn shutdown_releases_held_long_polls_and_huge_waits_are_capped() {
    let w = start(Backend::Sqlite).await;
    let waiter = poll(&w, &w.base, "wait=100000&since=0");
    let stopper = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(w.state.changes.waiting(), 1);
        w.stop();
    };
    let ((status, took), ()) = tokio::join!(waiter, stopper);
    assert_eq!(status.version, 0);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(relay::routes::subscription::MAX_WAIT_SECS, 60);
}

#[tokio::test]
async fn a_renew_link_opens_the_renewal_page_for_that_client_only() {
    let w = start(Backend::Sqlite).await;
    let (code, body) = w.post_json("/api/renew-link", Some(&w.token), "").await;
    assert_eq!(code, 200);
    let url = body["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{}/renew-subscription?link=39.", w.base)));
    assert!(!url.contains(&w.token));
    let page = w.http.get(url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Maçonnerie Dupont")
            && html.contains("Aucun abonnement")
            && html.contains("499\u{a0}€ / an"),
        "{html}"
    );
    let tampered = url.replace("link=39.", "link=40.");
    assert_eq!(w.http.get(&tampered).send().await.unwrap().status(), 403);
    assert_eq!(w.get("/renew-subscription").await.status(), 403);
    let link = url.split("link=").nth(1).unwrap();
    let chosen = w.renew_form(link, "annuel").await;
    assert_eq!(chosen.status(), 303);
    let checkout = chosen.headers()["location"].to_str().unwrap().to_owned();
    assert!(checkout.starts_with(&format!("{}/c/pay/cs_test_", w.sandbox_base)));
    let (code, _) = w.pay_card(&checkout, "4242424242424242").await;
    assert_eq!(code, 303);
    w.sandbox.idle().await;
    assert!((w.expiry().await.unwrap() - (now() + 365 * DAY)).abs() <= 5);
    let forged = w.renew_form("39.9999999999.00", "annuel").await;
    assert_eq!(forged.status(), 403);
}

/// The relay's status cache on PostgreSQL, once its LISTEN connection is up.
async fn start_cached() -> World {
    let w = start(Backend::Postgres).await;
    for _ in 0..100 {
        if w.state.db.status_cache.is_live() {
            return w;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the LISTEN connection never came up");
}

/// Waits up to `within` for the status read to answer `want` (HTTP code, `status`).
async fn seen_within(w: &World, within: Duration, want: (u16, &str)) -> Duration {
    let started = Instant::now();
    loop {
        let (code, body) = w.get_json("/api/subscription", Some(&w.token)).await;
        if (code, body["status"].as_str().unwrap_or("")) == want {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{want:?} not seen: {code} {body}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_change_by_another_process_is_read_within_milliseconds_despite_the_cache() {
    let w = start_cached().await;
    assert!(w.metrics().await.contains("relay_status_cache_live 1"));
    w.buy("mensuel").await;
    assert_eq!(w.status().await["status"], "active");
    // Another process, as `relay clients revoke` is: its own pool, its own (idle) cache.
    let other = relay::db::Db::connect(&w.db.url).await.unwrap();
    sqlx::query("UPDATE subscriptions SET expires_at = $1")
        .bind(now() - DAY)
        .execute(&other.pool)
        .await
        .unwrap();
    let took = seen_within(&w, Duration::from_millis(300), (200, "expired")).await;
    eprintln!("expiry moved by another process seen after {took:?}");
    // A payment another instance applied moves the version, announced once, as a version.
    sqlx::query("UPDATE subscriptions SET expires_at = $1, version = version + 1")
        .bind(now() + DAY)
        .execute(&other.pool)
        .await
        .unwrap();
    let took = seen_within(&w, Duration::from_millis(300), (200, "active")).await;
    eprintln!("payment by another process seen after {took:?}");
    other.revoke_client(&w.client).await.unwrap();
    let took = seen_within(&w, Duration::from_millis(300), (401, "")).await;
    eprintln!("revocation by another process seen after {took:?}");
}

async fn set_expiry(conn: &mut sqlx::AnyConnection, at: i64) {
    sqlx::query("UPDATE subscriptions SET expires_at = $1")
        .bind(at)
        .execute(conn)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_a_status_is_served_from_the_cache_only_while_every_change_is_heard() {
    let w = start_cached().await;
    w.buy("mensuel").await;
    // The purchase's own announcements arrive after its commit: let them pass first.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let other = relay::db::Db::connect(&w.db.url).await.unwrap();
    let mut silent = other.pool.acquire().await.unwrap();
    // A change no trigger announces (replica role): only the cache can hide it.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *silent)
        .await
        .unwrap();
    assert_eq!(w.status().await["status"], "active");
    set_expiry(&mut silent, now() - DAY).await;
    assert_eq!(
        w.status().await["status"],
        "active",
        "served from the cache"
    );
    seen_within(&w, relay::status_cache::TTL * 2, (200, "expired")).await;
    // The LISTEN connection lost: changes may be missed, so the cache is no longer consulted.
    set_expiry(&mut silent, now() + DAY).await;
    let started = Instant::now();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query ILIKE '%LISTEN%' AND pid <> pg_backend_pid()",
    )
    .execute(&other.pool)
    .await
    .unwrap();
    seen_within(&w, Duration::from_millis(500), (200, "active")).await;
    assert!(
        started.elapsed() < relay::status_cache::TTL,
        "not by ageing out"
    );
    assert!(!w.state.db.status_cache.is_live());
    assert!(w.metrics().await.contains("relay_status_cache_live 0"));
}
