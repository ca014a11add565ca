//! The relay under load: a fresh database (SQLite file or PostgreSQL database), client companies
//! registered through the relay's own library, the release `relay` binary as a child process
//! talking to an in-process offline Stripe, and the Checkout sessions that the load pays,
//! created through the relay's own API first (it fulfils no session it did not create).

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use relay::db::Db;
use relay::domain::ClientId;
use relay::siren::Siren;
use tokio::process::{Child, Command};

use crate::Args;

pub const SECRET: &str = "whsec_bench_secret";
/// The one key the bench's offline Stripe accepts, given to the relay as its secret key.
const BENCH_STRIPE_KEY: &str = "sk_test_bench_key";
const PG_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database made for one measurement: a SQLite file, or a PostgreSQL database dropped after.
pub struct FreshDb {
    pub url: String,
    pub db: Db,
    pg_name: Option<String>,
    sqlite_path: Option<std::path::PathBuf>,
}

pub async fn fresh_database(backend: &str) -> anyhow::Result<FreshDb> {
    let name = format!(
        "relay_bench_{}",
        stripe_sandbox::random_id(8).to_lowercase()
    );
    let (url, pg_name, sqlite_path) = match backend {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            (format!("sqlite://{}", path.display()), None, Some(path))
        }
        "postgres" => {
            let admin = Db::connect(PG_ADMIN)
                .await
                .context("PostgreSQL on 127.0.0.1:5432")?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin.pool)
                .await?;
            admin.pool.close().await;
            (
                format!("postgres://postgres@127.0.0.1:5432/{name}"),
                Some(name.clone()),
                None,
            )
        }
        other => bail!("unknown backend {other}"),
    };
    let db = Db::connect(&url).await?;
    Ok(FreshDb {
        url,
        db,
        pg_name,
        sqlite_path,
    })
}

impl FreshDb {
    pub fn sqlite_path(&self) -> Option<String> {
        self.sqlite_path.as_ref().map(|p| p.display().to_string())
    }

    pub async fn drop_it(&mut self) {
        self.db.pool.close().await;
        if let Some(name) = self.pg_name.take() {
            if let Ok(admin) = Db::connect(PG_ADMIN).await {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&admin.pool)
                .await;
            }
        }
        if let Some(path) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
        }
    }
}

pub struct Relay {
    pub base: String,
    pub db: Db,
    pub clients: Vec<(ClientId, String)>,
    /// The sessions the load pays, in delivery order: (session id, client id).
    pub sessions: Vec<(String, String)>,
    child: Child,
    fresh: FreshDb,
}

/// An offline Stripe on a port of its own (it delivers nothing: the load does); its base URL.
async fn offline_stripe(relay_base: &str) -> anyhow::Result<String> {
    use stripe_sandbox::{RetryPolicy, Sandbox, SandboxConfig};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let sandbox = Sandbox::new(SandboxConfig {
        public_base: base.clone(),
        webhook: None,
        retry: RetryPolicy::default(),
        sepa_settle_after: std::time::Duration::from_secs(3600),
        return_origin: Some(relay_base.to_owned()),
        secret_key: BENCH_STRIPE_KEY.into(),
    });
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(base)
}

/// An offline approved platform in this process; the relay's `PA_*` pointing at it.
async fn offline_platform() -> anyhow::Result<Vec<(&'static str, String)>> {
    let credentials = pa_sandbox::Credentials::generate();
    let pa = pa_sandbox::PaSandbox::new(credentials.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let router = pa.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(vec![
        ("PA_MODE", "on".into()),
        ("PA_FLOW_API", format!("{base}/afnor-flow")),
        ("PA_DIRECTORY_API", format!("{base}/afnor-directory")),
        ("PA_TOKEN_URL", format!("{base}/token")),
        ("PA_CLIENT_ID", credentials.client_id),
        ("PA_CLIENT_SECRET", credentials.client_secret),
    ])
}

fn relay_binary() -> anyhow::Result<std::path::PathBuf> {
    let here = std::env::current_exe()?;
    let path = here
        .parent()
        .context("bench binary has a folder")?
        .join("relay");
    if !path.exists() {
        bail!(
            "{} is missing: build it with `cargo build --release -p relay -p relay-bench`",
            path.display()
        );
    }
    Ok(path)
}

impl Relay {
    pub async fn start(backend: &str, args: &Args) -> anyhow::Result<Self> {
        let fresh = fresh_database(backend).await?;
        let (db, url) = (fresh.db.clone(), fresh.url.clone());
        db.migrate().await?;
        let mut clients = Vec::with_capacity(args.clients.max(args.waiters));
        for i in 0..args.clients.max(args.waiters) {
            let id = ClientId::parse(&format!("c{i}")).expect("valid id");
            let token = db.add_client(&id, &format!("Entreprise {i}")).await?;
            // A company pays only once its SIREN is on file.
            db.set_siren(&id, &Siren::completing(10_000_000 + i as u32))
                .await?;
            clients.push((id, token));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let stripe = offline_stripe(&base).await?;
        let log =
            std::fs::File::create(std::env::temp_dir().join(format!("relay-bench-{port}.log")))?;
        let mut command = Command::new(relay_binary()?);
        if args.transmission {
            for (var, value) in offline_platform().await? {
                command.env(var, value);
            }
        }
        let child = command
            .arg("serve")
            .env("STRIPE_SECRET_KEY", BENCH_STRIPE_KEY)
            .env("STRIPE_PUBLISHABLE_KEY", "pk_test_bench_key")
            .env("STRIPE_WEBHOOK_SECRET", SECRET)
            .env("STRIPE_API_BASE", &stripe)
            .env("DATABASE_URL", &url)
            .env("RELAY_ADDR", format!("127.0.0.1:{port}"))
            .env("RELAY_METRICS_ADDR", "127.0.0.1:0")
            .env("APP_URL", &base)
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()?;
        wait_healthy(&base).await?;
        if args.transmission {
            // A relay reads a company's Directory line once, when its SIREN is set; the bench's
            // companies all arrive at once, so their reading is let finish before the load.
            addressed(&db).await?;
        }
        let mut relay = Self {
            base,
            db,
            clients,
            sessions: Vec::new(),
            child,
            fresh,
        };
        let payers: Vec<usize> = (0..args.webhooks).map(|i| i % args.clients).collect();
        relay.sessions = relay.create_sessions(&payers).await?;
        Ok(relay)
    }

    /// Creates one one-off Checkout session per entry of `payers` (an index into `clients`)
    /// through `POST /api/stripe/create-checkout-session`, 32 at a time; (session, client) in
    /// the order given.
    pub async fn create_sessions(&self, payers: &[usize]) -> anyhow::Result<Vec<(String, String)>> {
        let http = reqwest::Client::new();
        let url = format!("{}/api/stripe/create-checkout-session", self.base);
        let mut created = Vec::with_capacity(payers.len());
        for chunk in payers.chunks(32) {
            let mut set = tokio::task::JoinSet::new();
            for (at, &payer) in chunk.iter().enumerate() {
                let (http, url) = (http.clone(), url.clone());
                let (client, token) = self.clients[payer].clone();
                set.spawn(async move {
                    let answer: serde_json::Value = http
                        .post(url)
                        .bearer_auth(token)
                        .header("content-type", "application/json")
                        .body(r#"{"plan":"mensuel","renewal":"once"}"#)
                        .send()
                        .await?
                        .error_for_status()?
                        .json()
                        .await?;
                    let id = answer["session_id"].as_str().context("no session_id")?;
                    anyhow::Ok((at, (id.to_owned(), client.to_string())))
                });
            }
            let mut sessions = set
                .join_all()
                .await
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?;
            sessions.sort_by_key(|(at, _)| *at);
            created.extend(sessions.into_iter().map(|(_, s)| s));
        }
        Ok(created)
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
        self.fresh.drop_it().await;
    }
}

/// Waits until the relay has read every company's electronic address from the Directory.
async fn addressed(db: &Db) -> anyhow::Result<()> {
    let started = Instant::now();
    loop {
        let left: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM clients WHERE siren IS NOT NULL AND addressing_checked_at IS NULL",
        )
        .fetch_one(&db.pool)
        .await?;
        if left == 0 {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("{left} companies still without their Directory line");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn wait_healthy(base: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let started = Instant::now();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("{base} did not become healthy");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
