//! `relay-bench --compare`: the relay against what a user would write instead (see `peers`),
//! every receiver under the same load one after the other, in each of several rounds; medians
//! of the rounds, and ratios taken within the same run.

use std::fmt::Write;

use crate::load::{self, Delivery};
use crate::peers::{Peer, PeerKind};
use crate::target::Relay;
use crate::{Args, report};

#[derive(Debug, Default, Clone)]
struct Round {
    /// (receiver label, delivery) in run order.
    receivers: Vec<(String, Delivery)>,
    plans_per_sec: f64,
    pg_status_per_sec: f64,
}

fn relay_label(backend: &str) -> String {
    format!(
        "relay, {}",
        if backend == "sqlite" {
            "SQLite"
        } else {
            "PostgreSQL"
        }
    )
}

pub async fn run(args: &Args) -> anyhow::Result<()> {
    let mut rounds = Vec::new();
    for round in 1..=args.rounds {
        let mut r = Round::default();
        for backend in ["sqlite", "postgres"] {
            let relay = Relay::start(backend, args).await?;
            // Checked as the peers are: a fast relay that answered errors or lost a payment
            // must not count.
            let mut f = crate::Figures::default();
            let d = load::webhooks(&relay, args, &mut f).await?;
            load::check_database(&relay, args, &mut f).await?;
            anyhow::ensure!(
                f.non_200 == 0
                    && f.fulfilled == args.webhooks as i64
                    && f.double_fulfilled == 0
                    && f.wrong_expiries == 0,
                "{}: {} answers other than 200, {} sessions fulfilled, {} twice, {} wrong expiries",
                relay_label(backend),
                f.non_200,
                f.fulfilled,
                f.double_fulfilled,
                f.wrong_expiries
            );
            println!(
                "round {round}: {:<45} {:>7.0}/s p99 {:.1} ms",
                relay_label(backend),
                d.per_sec,
                ms(d.p99)
            );
            if backend == "postgres" {
                r.plans_per_sec = load::reads(&relay.base, "/api/stripe/plans", &[], args)
                    .await
                    .0;
                let tokens: Vec<String> = relay.clients.iter().map(|(_, t)| t.clone()).collect();
                r.pg_status_per_sec = load::reads(&relay.base, "/api/subscription", &tokens, args)
                    .await
                    .0;
                println!(
                    "round {round}: GET /api/stripe/plans {:.0}/s, PostgreSQL status reads {:.0}/s",
                    r.plans_per_sec, r.pg_status_per_sec
                );
            }
            r.receivers.push((relay_label(backend), d));
            relay.stop().await;
        }
        for kind in PeerKind::ALL {
            let peer = Peer::start(kind).await?;
            let d = load::deliver(&peer.base, &load::peer_sessions(args), args).await;
            let stored = peer.stored_events().await?;
            println!(
                "round {round}: {:<45} {:>7.0}/s p99 {:.1} ms ({stored} stored)",
                kind.label(),
                d.per_sec,
                ms(d.p99)
            );
            anyhow::ensure!(
                d.non_200 == 0 && stored == args.webhooks as i64,
                "{}: {} answers other than 200, {stored} events stored",
                kind.label(),
                d.non_200
            );
            r.receivers.push((kind.label().to_owned(), d));
            peer.stop().await;
        }
        rounds.push(r);
    }
    let md = summary(args, &rounds)?;
    print!("{md}");
    if !args.output.is_empty() {
        report::replace_section(&args.output, "relay-bench-compare", &md)?;
        println!("Comparison written to {}", args.output);
    }
    Ok(())
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn summary(args: &Args, rounds: &[Round]) -> anyhow::Result<String> {
    let names: Vec<String> = rounds[0].receivers.iter().map(|(n, _)| n.clone()).collect();
    let rate = |i: usize| median(rounds.iter().map(|r| r.receivers[i].1.per_sec).collect());
    let p99 = |i: usize| median(rounds.iter().map(|r| ms(r.receivers[i].1.p99)).collect());
    // Ratios within each round, then their median: the machine's drift cancels out.
    let ratio = |a: usize, b: usize| {
        median(
            rounds
                .iter()
                .map(|r| r.receivers[a].1.per_sec / r.receivers[b].1.per_sec)
                .collect(),
        )
    };
    let (relay_sqlite, relay_pg, fastapi, node_sqlite, node_pg) = (0, 1, 2, 3, 4);
    let mut md = String::new();
    writeln!(md, "## Relay against what a user would write instead\n")?;
    writeln!(
        md,
        "Written by `relay-bench --compare`: {} rounds; in each, every receiver gets {} distinct signed deliveries of the same real `checkout.session.completed` event ({} bytes, the sandbox's complete session object) at {} connections, the relay's each paying a distinct session created through its API before the load (the path real payments take) (signed and framed before the clock starts, written on kept-alive connections, as wrk does), one receiver after the other, durable storage (SQLite WAL `synchronous=FULL`, PostgreSQL defaults). The peers (crates/relay-bench/peers): schema `events(id primary key)` + `subs(client primary key, plan, expires)`, one transaction per request, the signature checked by Stripe's own library on the raw body, 2 workers. A run stops unless every answer was 200 and every delivery was stored (the relay: every session fulfilled once, every expiry exact). Medians of the rounds; ratios are taken within each round, then their median.\n",
        args.rounds,
        args.webhooks,
        load::completed_event("evt_bench_0", "cs_bench_0", "c0").len(),
        args.concurrency
    )?;
    writeln!(
        md,
        "| receiver | webhooks/s (median) | p99 (median) | rounds |"
    )?;
    writeln!(md, "|---|---|---|---|")?;
    for (i, name) in names.iter().enumerate() {
        let each: Vec<String> = rounds
            .iter()
            .map(|r| format!("{:.0}", r.receivers[i].1.per_sec))
            .collect();
        writeln!(
            md,
            "| {name} | {:.0} | {:.1} ms | {} |",
            rate(i),
            p99(i),
            each.join(" / ")
        )?;
    }
    let plans = median(rounds.iter().map(|r| r.plans_per_sec).collect());
    let status = median(rounds.iter().map(|r| r.pg_status_per_sec).collect());
    writeln!(md, "\n| ratio (same round) | target | median |")?;
    writeln!(md, "|---|---|---|")?;
    writeln!(
        md,
        "| relay SQLite / FastAPI SQLite | ≥ 12× | {:.1}× |",
        ratio(relay_sqlite, fastapi)
    )?;
    writeln!(
        md,
        "| relay SQLite / Node SQLite | ≥ 5× | {:.1}× |",
        ratio(relay_sqlite, node_sqlite)
    )?;
    writeln!(
        md,
        "| relay PostgreSQL / Node PostgreSQL | ≥ 5× | {:.1}× |",
        ratio(relay_pg, node_pg)
    )?;
    writeln!(
        md,
        "| relay p99, SQLite / PostgreSQL | ≤ 25 ms | {:.1} / {:.1} ms |",
        p99(relay_sqlite),
        p99(relay_pg)
    )?;
    writeln!(
        md,
        "| PostgreSQL status reads / `GET /api/stripe/plans` | ≥ 70 % | {:.0} % ({status:.0}/s vs {plans:.0}/s) |",
        100.0 * status / plans
    )?;
    writeln!(
        md,
        "| durable ingest / `GET /api/stripe/plans`, SQLite / PostgreSQL | | {:.0} % / {:.0} % |",
        100.0 * rate(relay_sqlite) / plans,
        100.0 * rate(relay_pg) / plans
    )?;
    Ok(md)
}
