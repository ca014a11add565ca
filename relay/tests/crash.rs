//! Crash safety of the real binary: `kill -9` the relay at a random moment while signed webhooks
//! pour in, restart it, and check that every acknowledged event and its fulfilment survived;
//! then redeliver everything as Stripe would (unacknowledged events come back) and check the
//! set is complete, each session fulfilled once with exactly one facture, the factures numbered
//! without a gap or a duplicate whatever the kills interrupted, expiries exact. 3 rounds here;
//! `CRASH_ROUNDS=20 cargo test -p relay --test crash` for the long run.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use common::{free_port, spawn_relay_process, wait_healthy};
use relay::db::Db;
use relay::domain::ClientId;
use sqlx::Row;
use stripe_sandbox::fixtures::{paid_checkout_event, sign_now};

const SECRET: &str = "whsec_crash_test_secret";
const CLIENTS: usize = 10;
const DAY: i64 = 86_400;

fn event(i: usize) -> String {
    let client = format!("c{}", i % CLIENTS);
    paid_checkout_event(
        &format!("evt_crash_{i}"),
        &format!("cs_crash_{i}"),
        &client,
        "mensuel",
        4900,
    )
}

/// Delivers events `range` with 16 concurrent senders; returns the ids answered 200.
async fn deliver(
    http: &reqwest::Client,
    base: &str,
    range: std::ops::Range<usize>,
) -> HashSet<usize> {
    let bodies = Arc::new((0..range.end).map(event).collect());
    deliver_bodies(http, base, bodies, range).await
}

/// Delivers `bodies[i]` for each `i` of `range` with 16 concurrent senders; returns the `i`
/// answered 200.
async fn deliver_bodies(
    http: &reqwest::Client,
    base: &str,
    bodies: Arc<Vec<String>>,
    range: std::ops::Range<usize>,
) -> HashSet<usize> {
    let mut set = tokio::task::JoinSet::new();
    let ids: Vec<usize> = range.collect();
    for chunk in ids.chunks(ids.len().div_ceil(16).max(1)) {
        let (http, base, chunk) = (http.clone(), base.to_owned(), chunk.to_vec());
        let bodies = bodies.clone();
        set.spawn(async move {
            let mut acked = Vec::new();
            for i in chunk {
                let body = bodies[i].clone();
                let sig = sign_now(SECRET, &body);
                let ok = http
                    .post(format!("{base}/api/stripe/webhook"))
                    .header("stripe-signature", sig)
                    .body(body)
                    .send()
                    .await;
                if ok.is_ok_and(|r| r.status() == 200) {
                    acked.push(i);
                }
            }
            acked
        });
    }
    set.join_all().await.into_iter().flatten().collect()
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_webhooks_survive_kill_9_and_redelivery_completes_the_set() {
    let rounds: usize = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let per_round = 400;
    let path = std::env::temp_dir().join(format!("crash_{}.db", stripe_sandbox::random_id(8)));
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    for c in 0..CLIENTS {
        db.add_client(&ClientId::parse(&format!("c{c}")).unwrap(), "X")
            .await
            .unwrap();
    }
    let sessions: Vec<(String, String, String)> = (0..rounds * per_round)
        .map(|i| {
            let client = format!("c{}", i % CLIENTS);
            (format!("cs_crash_{i}"), client, "mensuel".to_owned())
        })
        .collect();
    common::created_sessions(&db, &sessions).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let start = relay::clock::system_now();
    let mut acked_total = 0;
    for round in 0..rounds {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = spawn_relay_process(&url, port, "http://127.0.0.1:9", SECRET);
        wait_healthy(&http, &base).await;
        let range = round * per_round..(round + 1) * per_round;
        let kill_after = Duration::from_millis(20 + rand::random::<u64>() % 250);
        let (acked, _) = tokio::join!(deliver(&http, &base, range), async {
            tokio::time::sleep(kill_after).await;
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
        });
        acked_total += acked.len();
        for i in &acked {
            let row = sqlx::query("SELECT e.outcome, s.state FROM stripe_events e JOIN checkout_sessions s ON s.session_id = e.session_id WHERE e.event_id = $1")
                .bind(format!("evt_crash_{i}"))
                .fetch_optional(&db.pool)
                .await
                .unwrap()
                .unwrap_or_else(|| panic!("round {round}: acknowledged evt_crash_{i} is missing after kill -9"));
            assert_eq!(
                (row.get::<String, _>(0), row.get::<String, _>(1)),
                ("fulfilled".to_owned(), "fulfilled".to_owned())
            );
            let facture = sqlx::query("SELECT 1 FROM factures WHERE source = $1")
                .bind(format!("cs_crash_{i}"))
                .fetch_optional(&db.pool)
                .await
                .unwrap();
            assert!(
                facture.is_some(),
                "round {round}: the facture of acknowledged cs_crash_{i}"
            );
        }
    }
    // Stripe redelivers what was not acknowledged: send everything again to a fresh instance.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_relay_process(&url, port, "http://127.0.0.1:9", SECRET);
    wait_healthy(&http, &base).await;
    let all = deliver(&http, &base, 0..rounds * per_round).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        all.len(),
        rounds * per_round,
        "every redelivery acknowledged"
    );
    let total = (rounds * per_round) as i64;
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM stripe_events").await,
        total
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM checkout_sessions WHERE state = 'fulfilled'"
        )
        .await,
        total
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM (SELECT session_id FROM stripe_events WHERE outcome = 'fulfilled' GROUP BY session_id HAVING COUNT(*) > 1) AS d").await, 0);
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT source) FROM factures").await,
        total,
        "one facture per payment"
    );
    // Each year's series runs 1..n: as many numbers as factures, none missing, none twice.
    let gaps = "SELECT COUNT(*) FROM (SELECT id / 1000000 FROM factures GROUP BY id / 1000000
                HAVING MIN(id % 1000000) <> 1 OR MAX(id % 1000000) <> COUNT(*)) AS g";
    assert_eq!(count(&db, gaps).await, 0, "gap-free series");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM factures").await, total);
    let end = relay::clock::system_now();
    for row in sqlx::query("SELECT client_id, expires_at FROM subscriptions")
        .fetch_all(&db.pool)
        .await
        .unwrap()
    {
        let client: String = row.get(0);
        let payments = (0..rounds * per_round)
            .filter(|i| format!("c{}", i % CLIENTS) == client)
            .count() as i64;
        let first = row.get::<i64, _>(1) - payments * 30 * DAY;
        assert!(
            (start..=end).contains(&first),
            "{client}: expiry is {payments} × 30 days after its first payment"
        );
    }
    eprintln!(
        "{rounds} kill -9 rounds: {acked_total} webhooks acknowledged before the kills, all present; 0 double fulfilments; {total} factures, gap-free"
    );
    db.pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// A refund of the whole payment `intent`, as Stripe sends `refund.created` for it.
fn refund_event(i: usize, intent: &str) -> String {
    serde_json::json!({
        "id": format!("evt_refund_crash_{i}"), "object": "event", "type": "refund.created",
        "livemode": false, "created": relay::clock::system_now(),
        "data": {"object": {"id": format!("re_crash_{i}"), "object": "refund", "amount": 4900,
            "currency": "eur", "payment_intent": intent, "status": "succeeded",
            "created": relay::clock::system_now()}}
    })
    .to_string()
}

/// `kill -9` while refunds are applied and their avoirs issued: every acknowledged refund keeps
/// its avoir, redelivery completes the set, each refund has exactly one avoir, the series has no
/// gap, and every company's stored access is what its payments and refunds fold to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_refunds_survive_kill_9_each_with_one_avoir_in_a_gap_free_series() {
    let total = 600;
    let path = std::env::temp_dir().join(format!("crash_av_{}.db", stripe_sandbox::random_id(8)));
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    for c in 0..CLIENTS {
        db.add_client(&ClientId::parse(&format!("c{c}")).unwrap(), "X")
            .await
            .unwrap();
    }
    let sessions: Vec<(String, String, String)> = (0..total)
        .map(|i| {
            (
                format!("cs_crash_{i}"),
                format!("c{}", i % CLIENTS),
                "mensuel".to_owned(),
            )
        })
        .collect();
    common::created_sessions(&db, &sessions).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_relay_process(&url, port, "http://127.0.0.1:9", SECRET);
    wait_healthy(&http, &base).await;
    assert_eq!(
        deliver(&http, &base, 0..total).await.len(),
        total,
        "every payment applied"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let mut refunds = Vec::new();
    for i in 0..total {
        let intent: String = sqlx::query_scalar(
            "SELECT payment_intent FROM checkout_sessions WHERE session_id = $1",
        )
        .bind(format!("cs_crash_{i}"))
        .fetch_one(&db.pool)
        .await
        .unwrap();
        refunds.push(refund_event(i, &intent));
    }
    let refunds = Arc::new(refunds);
    for round in 0..2 {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = spawn_relay_process(&url, port, "http://127.0.0.1:9", SECRET);
        wait_healthy(&http, &base).await;
        let range = round * total / 2..(round + 1) * total / 2;
        let kill_after = Duration::from_millis(10 + rand::random::<u64>() % 80);
        let (acked, _) = tokio::join!(
            deliver_bodies(&http, &base, refunds.clone(), range),
            async {
                tokio::time::sleep(kill_after).await;
                child.kill().unwrap(); // SIGKILL
                child.wait().unwrap();
            }
        );
        for i in &acked {
            let avoir = sqlx::query("SELECT 1 FROM avoirs WHERE source = $1")
                .bind(format!("re_crash_{i}"))
                .fetch_optional(&db.pool)
                .await
                .unwrap();
            assert!(
                avoir.is_some(),
                "round {round}: the avoir of acknowledged re_crash_{i}"
            );
        }
        eprintln!(
            "round {round}: {} of {} refunds acknowledged before kill -9 after {kill_after:?}",
            acked.len(),
            total / 2
        );
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn_relay_process(&url, port, "http://127.0.0.1:9", SECRET);
    wait_healthy(&http, &base).await;
    let all = deliver_bodies(&http, &base, refunds.clone(), 0..total).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(all.len(), total, "every redelivery acknowledged");
    let total = total as i64;
    assert_eq!(count(&db, "SELECT COUNT(*) FROM refunds").await, total);
    assert_eq!(
        count(&db, "SELECT COUNT(DISTINCT source) FROM avoirs").await,
        total
    );
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM avoirs").await,
        total,
        "one avoir per refund"
    );
    let gaps = "SELECT COUNT(*) FROM (SELECT id / 1000000 FROM avoirs GROUP BY id / 1000000
                HAVING MIN(id % 1000000) <> 1 OR MAX(id % 1000000) <> COUNT(*)) AS g";
    assert_eq!(count(&db, gaps).await, 0, "gap-free series");
    assert_eq!(
        db.unexplained_access().await.unwrap(),
        [],
        "access is the fold"
    );
    db.pool.close().await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}
