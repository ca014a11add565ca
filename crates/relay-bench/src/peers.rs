//! The receivers a user would write instead of the relay, run under the same load in the same
//! run: FastAPI + stripe-python on SQLite (the seed's stack), and express + stripe-node on
//! better-sqlite3 and on node-postgres, each with 2 workers, one transaction per request and
//! the signature checked by Stripe's own library (sources and setup in `peers/`).

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

use crate::target::{SECRET, fresh_database};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerKind {
    FastApiSqlite,
    NodeSqlite,
    NodePostgres,
}

impl PeerKind {
    pub const ALL: [Self; 3] = [Self::FastApiSqlite, Self::NodeSqlite, Self::NodePostgres];

    pub fn label(self) -> &'static str {
        match self {
            Self::FastApiSqlite => "FastAPI + stripe-python, SQLite",
            Self::NodeSqlite => "express + stripe-node + better-sqlite3",
            Self::NodePostgres => "express + stripe-node + node-postgres",
        }
    }

    fn backend(self) -> &'static str {
        match self {
            Self::NodePostgres => "postgres",
            _ => "sqlite",
        }
    }
}

pub struct Peer {
    pub base: String,
    child: Child,
    db: crate::target::FreshDb,
}

fn peers_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("peers")
}

const SCHEMA: [&str; 2] = [
    "CREATE TABLE events (id TEXT PRIMARY KEY)",
    "CREATE TABLE subs (client TEXT PRIMARY KEY, plan TEXT NOT NULL, expires BIGINT NOT NULL)",
];

impl Peer {
    pub async fn start(kind: PeerKind) -> anyhow::Result<Self> {
        let dir = peers_dir();
        if !dir.join(".venv/bin/uvicorn").exists()
            || !dir.join("node_modules/better-sqlite3").exists()
        {
            bail!("peers not installed: run `bash crates/relay-bench/peers/setup.sh`");
        }
        let db = fresh_database(kind.backend()).await?;
        for statement in SCHEMA {
            sqlx::query(statement).execute(&db.db.pool).await?;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let mut command = match kind {
            PeerKind::FastApiSqlite => {
                let mut c = Command::new(dir.join(".venv/bin/uvicorn"));
                c.args([
                    "fastapi_peer:app",
                    "--workers",
                    "2",
                    "--log-level",
                    "warning",
                ])
                .args(["--host", "127.0.0.1", "--port", &port.to_string()]);
                c
            }
            PeerKind::NodeSqlite | PeerKind::NodePostgres => {
                let mut c = Command::new("node");
                c.arg("express_peer.js").env("PORT", port.to_string());
                c
            }
        };
        command
            .current_dir(&dir)
            .env("STRIPE_WEBHOOK_SECRET", SECRET)
            .env("PEER_DB", kind.backend())
            .env("PEER_SQLITE", db.sqlite_path().unwrap_or_default())
            .env("PEER_PG_URL", &db.url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            // Its own process group, so that stopping it stops its workers too.
            .process_group(0);
        let child = command.spawn().context("starting the peer")?;
        let base = format!("http://127.0.0.1:{port}");
        crate::target::wait_healthy(&base).await?;
        Ok(Self { base, child, db })
    }

    /// Events the peer stored.
    pub async fn stored_events(&self) -> anyhow::Result<i64> {
        use sqlx::Row;
        let row = sqlx::query("SELECT COUNT(*) FROM events")
            .fetch_one(&self.db.db.pool)
            .await?;
        Ok(row.get(0))
    }

    pub async fn stop(mut self) {
        if let Some(pid) = self.child.id().and_then(|p| i32::try_from(p).ok()) {
            // The whole group (uvicorn's and cluster's workers), and only it: `kill -TERM -PID`
            // through procps reads `-PID` as an option and signalled every process here.
            if pid > 1 {
                // SAFETY: plain syscall; a negative pid names the process group `pid`, which
                // `process_group(0)` made for this child alone.
                unsafe {
                    libc::kill(-pid, libc::SIGTERM);
                }
            }
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
        let _ = self.child.kill().await;
        self.db.drop_it().await;
    }
}
