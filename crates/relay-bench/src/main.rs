//! `relay-bench`: starts a release `relay` process on SQLite and on PostgreSQL, loads it over real
//! HTTP, checks the database afterwards, prints the figures and writes them to BENCHMARKS.md.
//!
//! ```text
//! cargo build --release -p relay -p relay-bench && target/release/relay-bench
//! bash crates/relay-bench/peers/setup.sh && target/release/relay-bench --compare
//! target/release/relay-bench --console --clients 10000 --webhooks 100000
//! ```

mod compare;
mod console;
mod load;
mod peers;
mod report;
mod target;
mod wire;

use std::time::Duration;

use clap::Parser;

#[derive(Parser, Clone)]
#[command(about = "Benchmark of the relay: durable webhooks/s, status reads/s, long-poll wake-up.")]
pub struct Args {
    /// Signed checkout.session.completed deliveries per backend.
    #[arg(long, default_value_t = 20_000)]
    pub webhooks: usize,
    /// Concurrent connections for webhooks and status reads.
    #[arg(long, default_value_t = 64)]
    pub concurrency: usize,
    /// Client companies the sessions are spread over.
    #[arg(long, default_value_t = 1_000)]
    pub clients: usize,
    /// Seconds of status reads.
    #[arg(long, default_value_t = 5)]
    pub status_secs: u64,
    /// Idle long polls held while wake-ups are measured.
    #[arg(long, default_value_t = 1_000)]
    pub waiters: usize,
    /// Wake-ups measured.
    #[arg(long, default_value_t = 200)]
    pub wakes: usize,
    /// Backends to run: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    pub backends: Vec<String>,
    /// Compare the relay with the peers a user would write instead (see `peers/`).
    #[arg(long)]
    pub compare: bool,
    /// Rounds of the comparison (medians are reported).
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// Run the relay with transmission to an offline approved platform on (PA_MODE=on).
    #[arg(long)]
    pub transmission: bool,
    /// Time the operator console's pages once the load is stored (see console.rs).
    #[arg(long)]
    pub console: bool,
    /// Where to write the report (nothing written when empty).
    #[arg(long, default_value = "BENCHMARKS.md")]
    pub output: String,
}

#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub backend: String,
    pub webhooks: usize,
    pub webhooks_per_sec: f64,
    pub webhook_p50: Duration,
    pub webhook_p99: Duration,
    pub non_200: usize,
    pub stored_events: i64,
    pub fulfilled: i64,
    pub double_fulfilled: i64,
    pub wrong_expiries: i64,
    pub status_per_sec: f64,
    pub status_p99: Duration,
    pub wake_p50: Duration,
    pub wake_p99: Duration,
    pub waiters: usize,
    /// Unix seconds during which the webhooks were applied.
    pub run_window: (i64, i64),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.compare {
        return compare::run(&args).await;
    }
    let mut all = Vec::new();
    let mut console_pages = Vec::new();
    for backend in &args.backends {
        let relay = target::Relay::start(backend, &args).await?;
        let mut figures = Figures {
            backend: backend.clone(),
            ..Default::default()
        };
        load::webhooks(&relay, &args, &mut figures).await?;
        load::check_database(&relay, &args, &mut figures).await?;
        load::status_reads(&relay, &args, &mut figures).await?;
        load::wake_ups(&relay, &args, &mut figures).await?;
        if args.console {
            let pages = console::pages(&relay, args.clients).await?;
            for p in &pages {
                println!(
                    "[{backend}] console {}: p50 {:?}, p90 {:?}",
                    p.path, p.p50, p.p90
                );
            }
            console_pages.push((backend.clone(), pages));
        }
        relay.stop().await;
        report::print(&figures);
        all.push(figures);
    }
    if !args.output.is_empty() && args.console {
        // Its own section only: the load it stands on is not the throughput bench's.
        let table = console::table(args.clients, args.webhooks, &console_pages);
        report::replace_section(&args.output, "console-bench", &table)?;
        println!("Figures written to {}", args.output);
    } else if !args.output.is_empty() {
        report::write(&args, &all)?;
        println!("Figures written to {}", args.output);
    }
    Ok(())
}
