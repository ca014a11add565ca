//! The loads: signed webhooks at a fixed concurrency, status reads, and long-poll wake-ups with
//! many idle waiters; then a check of the database that nothing was lost or applied twice.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Row;
use stripe_sandbox::fixtures::{paid_checkout_event, sign_now};
use tokio::sync::mpsc;

use crate::target::{Relay, SECRET};
use crate::wire;
use crate::{Args, Figures};

const DAY: i64 = 86_400;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn http(connections: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(Duration::from_secs(90))
        .build()
        .expect("client")
}

/// A paid `checkout.session.completed` for `client`, at the plan's exact price: the sandbox's
/// real event (a complete Checkout Session, about 3 KB).
pub fn completed_event(event: &str, session: &str, client: &str) -> String {
    paid_checkout_event(event, session, client, "mensuel", 4900)
}

/// `body` signed now and framed as Stripe delivers it to the webhook of `host`.
fn signed_delivery(host: &str, body: &str) -> Vec<u8> {
    let signature = sign_now(SECRET, body);
    let headers = [
        // As Stripe sends it (express.raw, for one, reads no body without it).
        ("Content-Type", "application/json; charset=utf-8"),
        ("Stripe-Signature", signature.as_str()),
    ];
    wire::request(
        "POST",
        host,
        "/api/stripe/webhook",
        &headers,
        body.as_bytes(),
    )
}

/// What one webhook load measured.
#[derive(Debug, Clone, Copy, Default)]
pub struct Delivery {
    pub per_sec: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub non_200: usize,
}

/// `http://host:port` → `host:port`.
fn host_of(base: &str) -> &str {
    base.trim_start_matches("http://")
}

/// Every delivery of a load, distinct (its own event and session), signed and framed before
/// the clock starts: the load generator then only writes bytes and reads answers.
fn signed_deliveries(host: &str, sessions: &[(String, String)]) -> Vec<Vec<u8>> {
    sessions
        .iter()
        .enumerate()
        .map(|(i, (session, client))| {
            let body = completed_event(&format!("evt_bench_{i}"), session, client);
            signed_delivery(host, &body)
        })
        .collect()
}

/// Sessions of the same shape for a peer, which keeps no record of the sessions it creates.
pub fn peer_sessions(args: &Args) -> Vec<(String, String)> {
    (0..args.webhooks)
        .map(|i| (format!("cs_bench_{i}"), format!("c{}", i % args.clients)))
        .collect()
}

/// Sends one distinct signed delivery per session to `base` (each paying its session) over
/// `args.concurrency` connections.
pub async fn deliver(base: &str, sessions: &[(String, String)], args: &Args) -> Delivery {
    let host = host_of(base);
    let requests = Arc::new(signed_deliveries(host, sessions));
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (requests, next, mut conn) = (requests.clone(), next.clone(), wire::Conn::new(host));
        workers.spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = 0;
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(request) = requests.get(i) else {
                    break;
                };
                let t = Instant::now();
                if conn.send(request).await != 200 {
                    failures += 1;
                }
                latencies.push(t.elapsed());
            }
            (latencies, failures)
        });
    }
    let mut all = Vec::with_capacity(sessions.len());
    let mut non_200 = 0;
    for (latencies, failures) in workers.join_all().await {
        all.extend(latencies);
        non_200 += failures;
    }
    let elapsed = started.elapsed();
    all.sort();
    Delivery {
        per_sec: sessions.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        non_200,
    }
}

pub async fn webhooks(relay: &Relay, args: &Args, f: &mut Figures) -> anyhow::Result<Delivery> {
    let started = Instant::now();
    let d = deliver(&relay.base, &relay.sessions, args).await;
    let elapsed = started.elapsed();
    f.webhooks = args.webhooks;
    f.webhooks_per_sec = d.per_sec;
    f.webhook_p50 = d.p50;
    f.webhook_p99 = d.p99;
    f.non_200 = d.non_200;
    // Expiries are checked against the run's time window.
    f.run_window = (
        relay::clock::system_now() - elapsed.as_secs() as i64 - 1,
        relay::clock::system_now() + 1,
    );
    Ok(d)
}

pub async fn check_database(relay: &Relay, args: &Args, f: &mut Figures) -> anyhow::Result<()> {
    let pool = &relay.db.pool;
    let one = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_one(pool)
            .await
            .map(|r| r.get::<i64, _>(0))
    };
    f.stored_events = one("SELECT COUNT(*) FROM stripe_events").await?;
    f.fulfilled = one("SELECT COUNT(*) FROM checkout_sessions WHERE state = 'fulfilled'").await?;
    f.double_fulfilled = one("SELECT COUNT(*) FROM (SELECT session_id FROM stripe_events WHERE outcome = 'fulfilled' GROUP BY session_id HAVING COUNT(*) > 1) AS d").await?;
    let rows =
        sqlx::query("SELECT client_id, expires_at FROM subscriptions WHERE expires_at IS NOT NULL")
            .fetch_all(pool)
            .await?;
    let (from, to) = f.run_window;
    for row in rows {
        let client: String = row.get(0);
        let expires: i64 = row.get(1);
        let index: usize = client[1..].parse()?;
        let payments = (args.webhooks + args.clients - 1 - index) / args.clients;
        let first = expires - payments as i64 * 30 * DAY;
        if first < from || first > to {
            f.wrong_expiries += 1;
        }
    }
    Ok(())
}

pub async fn status_reads(relay: &Relay, args: &Args, f: &mut Figures) -> anyhow::Result<()> {
    let tokens: Vec<String> = relay.clients.iter().map(|(_, t)| t.clone()).collect();
    (f.status_per_sec, f.status_p99) = reads(&relay.base, "/api/subscription", &tokens, args).await;
    Ok(())
}

/// GETs `path` on `base` for `args.status_secs` over `args.concurrency` connections, each with
/// one of `tokens` (none when empty); successful reads per second and their p99.
pub async fn reads(base: &str, path: &str, tokens: &[String], args: &Args) -> (f64, Duration) {
    let host = host_of(base);
    let stop = Instant::now() + Duration::from_secs(args.status_secs);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..args.concurrency {
        let authorization =
            (!tokens.is_empty()).then(|| format!("Bearer {}", tokens[w % tokens.len()]));
        let headers: Vec<(&str, &str)> = authorization
            .iter()
            .map(|a| ("Authorization", a.as_str()))
            .collect();
        let request = wire::request("GET", host, path, &headers, b"");
        let mut conn = wire::Conn::new(host);
        workers.spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < stop {
                let t = Instant::now();
                if (200..300).contains(&conn.send(&request).await) {
                    latencies.push(t.elapsed());
                }
            }
            latencies
        });
    }
    let mut all: Vec<Duration> = workers.join_all().await.into_iter().flatten().collect();
    all.sort();
    (
        all.len() as f64 / args.status_secs as f64,
        percentile(&all, 0.99),
    )
}

/// Holds `waiters` long polls, then wakes them one at a time with a webhook for their client and
/// measures from sending the webhook to the long poll's answer (an upper bound of commit → answer).
pub async fn wake_ups(relay: &Relay, args: &Args, f: &mut Figures) -> anyhow::Result<()> {
    let http = http(args.waiters + 8);
    let (woke_tx, mut woke) = mpsc::unbounded_channel::<(usize, Instant)>();
    let mut pollers = tokio::task::JoinSet::new();
    for i in 0..args.waiters {
        let (http, url, token, tx) = (
            http.clone(),
            format!("{}/api/subscription", relay.base),
            relay.clients[i].1.clone(),
            woke_tx.clone(),
        );
        pollers.spawn(async move {
            let mut version = -1;
            loop {
                let resp = http
                    .get(format!("{url}?wait=60&since={version}"))
                    .bearer_auth(&token)
                    .send()
                    .await;
                let Ok(Ok(body)) = (match resp {
                    Ok(r) => Ok(r.json::<Value>().await),
                    Err(e) => Err(e),
                }) else {
                    return;
                };
                let now_version = body["version"].as_i64().unwrap_or(0);
                if version >= 0 && now_version != version && tx.send((i, Instant::now())).is_err() {
                    return;
                }
                version = now_version;
            }
        });
    }
    let payers: Vec<usize> = (0..args.wakes).map(|j| (j * 7919) % args.waiters).collect();
    let sessions = relay.create_sessions(&payers).await?;
    // Let every waiter take its first answer and settle into a held poll.
    tokio::time::sleep(Duration::from_secs(2)).await;
    f.waiters = args.waiters;
    let mut latencies = Vec::with_capacity(args.wakes);
    let host = host_of(&relay.base);
    let mut conn = wire::Conn::new(host);
    for (j, (i, (session, client))) in payers.into_iter().zip(&sessions).enumerate() {
        let body = completed_event(&format!("evt_wake_{j}"), session, client);
        let request = signed_delivery(host, &body);
        let sent = Instant::now();
        anyhow::ensure!(conn.send(&request).await == 200, "wake webhook refused");
        loop {
            let (who, at) = tokio::time::timeout(Duration::from_secs(10), woke.recv())
                .await?
                .expect("pollers alive");
            if who == i {
                latencies.push(at.duration_since(sent));
                break;
            }
        }
    }
    pollers.abort_all();
    latencies.sort();
    f.wake_p50 = percentile(&latencies, 0.50);
    f.wake_p99 = percentile(&latencies, 0.99);
    Ok(())
}
