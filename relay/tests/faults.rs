//! Faults: PostgreSQL stopped in the middle of a webhook load (a private cluster of this test's
//! own, so the shared server is untouched): no 200 while it is down, `/healthz` says so, the
//! relay recovers by itself within 5 s of its return and nothing acknowledged is lost. And
//! Stripe timing out on checkout creation: 502, nothing stored.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{free_port, spawn_relay_process, wait_healthy};
use relay::db::Db;
use relay::domain::ClientId;
use sqlx::Row;
use stripe_sandbox::fixtures::{paid_checkout_event, sign_now};

const SECRET: &str = "whsec_fault_test_secret";

/// A throwaway PostgreSQL cluster run by the `postgres` user (initdb refuses root).
struct Cluster {
    dir: PathBuf,
    port: u16,
}

fn pg(bin: &str, args: &[&str]) -> std::process::Output {
    let bin = format!(
        "/usr/lib/postgresql/{}/bin/{bin}",
        std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .file_name()
            .to_string_lossy()
    );
    Command::new("runuser")
        .args(["-u", "postgres", "--", &bin])
        .args(args)
        .output()
        .unwrap()
}

impl Cluster {
    fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("pg_fault_{}", stripe_sandbox::random_id(8)));
        std::fs::create_dir_all(&dir).unwrap();
        Command::new("chown")
            .args(["postgres", dir.to_str().unwrap()])
            .status()
            .unwrap();
        let data = dir.join("data");
        let out = pg(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        assert!(
            out.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let cluster = Cluster {
            dir,
            port: free_port(),
        };
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let out = pg(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-o",
                &opts,
                "-l",
                &format!("{}/log", self.dir.display()),
                "-w",
                "start",
            ],
        );
        assert!(
            out.status.success(),
            "pg_ctl start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn stop(&self) {
        let out = pg(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
        assert!(
            out.status.success(),
            "pg_ctl stop: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg("pg_ctl", &["-D", &self.data(), "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn status_of(http: &reqwest::Client, url: String, body: Option<String>) -> u16 {
    let req = match body {
        Some(body) => {
            let sig = sign_now(SECRET, &body);
            http.post(url).header("stripe-signature", sig).body(body)
        }
        None => http.get(url),
    };
    req.send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

fn event(i: usize) -> String {
    paid_checkout_event(
        &format!("evt_fault_{i}"),
        &format!("cs_fault_{i}"),
        "39",
        "mensuel",
        4900,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_load_gives_5xx_then_the_relay_recovers_within_5_seconds() {
    let cluster = Cluster::new();
    let db = Db::connect(&cluster.url()).await.unwrap();
    db.migrate().await.unwrap();
    db.add_client(&ClientId::parse("39").unwrap(), "X")
        .await
        .unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut relay = spawn_relay_process(&cluster.url(), port, "http://127.0.0.1:9", SECRET);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    wait_healthy(&http, &base).await;
    // A steady load from 8 senders: (event index, sent, answered, status).
    let answers = Arc::new(Mutex::new(Vec::<(usize, Instant, Instant, u16)>::new()));
    let stop_load = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = tokio::task::JoinSet::new();
    for sender in 0..8 {
        let (http, base, answers, stop) = (
            http.clone(),
            base.clone(),
            answers.clone(),
            stop_load.clone(),
        );
        load.spawn(async move {
            let mut i = sender;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let sent = Instant::now();
                let code =
                    status_of(&http, format!("{base}/api/stripe/webhook"), Some(event(i))).await;
                answers
                    .lock()
                    .unwrap()
                    .push((i, sent, Instant::now(), code));
                i += 8;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        });
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    cluster.stop();
    let down = Instant::now();
    assert_eq!(
        status_of(&http, format!("{base}/healthz"), None).await,
        503,
        "/healthz reports the database"
    );
    tokio::time::sleep(Duration::from_secs(8).saturating_sub(down.elapsed())).await;
    let back_at = Instant::now();
    cluster.start();
    let started = Instant::now();
    let mut recovered = None;
    while started.elapsed() < Duration::from_secs(10) {
        if status_of(&http, format!("{base}/healthz"), None).await == 200
            && status_of(
                &http,
                format!("{base}/api/stripe/webhook"),
                Some(event(1_000_000)),
            )
            .await
                == 200
        {
            recovered = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop_load.store(true, std::sync::atomic::Ordering::Relaxed);
    load.join_all().await;
    relay.kill().unwrap();
    relay.wait().unwrap();
    let recovered = recovered.expect("the relay came back by itself");
    assert!(
        recovered <= Duration::from_secs(5),
        "recovered in {recovered:?}"
    );
    let answers = answers.lock().unwrap().clone();
    // Deliveries sent and answered while the database was down.
    let while_down: Vec<u16> = answers
        .iter()
        .filter(|(_, sent, at, _)| *sent > down && *at < back_at)
        .map(|(_, _, _, c)| *c)
        .collect();
    assert!(
        !while_down.is_empty() && while_down.iter().all(|c| (500..600).contains(c)),
        "while down: {while_down:?}"
    );
    assert!(
        answers
            .iter()
            .any(|(_, _, at, c)| *at > back_at && *c == 200),
        "the load succeeds again after recovery"
    );
    let db = Db::connect(&cluster.url()).await.unwrap();
    for (i, _, _, code) in &answers {
        if *code == 200 {
            let stored = sqlx::query("SELECT COUNT(*) FROM stripe_events WHERE event_id = $1")
                .bind(format!("evt_fault_{i}"))
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .get::<i64, _>(0);
            assert_eq!(stored, 1, "acknowledged evt_fault_{i} is stored");
        }
    }
    eprintln!(
        "{} webhooks, {} answered 5xx while PostgreSQL was down, recovered in {recovered:?}",
        answers.len(),
        while_down.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_timing_out_on_checkout_gives_502_and_stores_nothing() {
    let stripe_base = common::silent_stripe();
    let dir = std::env::temp_dir().join(format!("timeout_{}", stripe_sandbox::random_id(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/relay.db", dir.display());
    let db = Db::connect(&url).await.unwrap();
    db.migrate().await.unwrap();
    let token = common::paying_client(&db, "39", "X").await;
    let port = free_port();
    let mut relay = spawn_relay_process(&url, port, &stripe_base, SECRET);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    wait_healthy(&http, &format!("http://127.0.0.1:{port}")).await;
    let started = Instant::now();
    let resp = common::create_checkout(&http, &format!("http://127.0.0.1:{port}"), &token).await;
    assert_eq!(resp.status(), 502);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the relay gives up on Stripe: {:?}",
        started.elapsed()
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "stripe_unavailable");
    let n: i64 = sqlx::query("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 0);
    relay.kill().unwrap();
    relay.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
