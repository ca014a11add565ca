//! Printing the figures and writing them, with the machine's description, to BENCHMARKS.md.

use std::fmt::Write;
use std::time::Duration;

use crate::{Args, Figures};

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

pub fn print(f: &Figures) {
    println!("== {} ==", f.backend);
    println!(
        "webhooks: {} in total, {:.0}/s, p50 {}, p99 {}, non-200 answers {}",
        f.webhooks,
        f.webhooks_per_sec,
        ms(f.webhook_p50),
        ms(f.webhook_p99),
        f.non_200
    );
    println!(
        "database: {} events stored, {} sessions fulfilled, {} fulfilled twice, {} wrong expiries",
        f.stored_events, f.fulfilled, f.double_fulfilled, f.wrong_expiries
    );
    println!(
        "status reads: {:.0}/s, p99 {}",
        f.status_per_sec,
        ms(f.status_p99)
    );
    println!(
        "long-poll wake-up with {} idle waiters: p50 {}, p99 {}",
        f.waiters,
        ms(f.wake_p50),
        ms(f.wake_p99)
    );
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    format!("{cores} cores ({cpu}), {mem} RAM, {}", std::env::consts::OS)
}

pub fn write(args: &Args, all: &[Figures]) -> anyhow::Result<()> {
    let mut md = String::new();
    writeln!(md, "## Relay\n")?;
    writeln!(
        md,
        "Written by `relay-bench` (crates/relay-bench): a release `relay` process, real HTTP on loopback, the load generator in a second process on the same machine (its requests signed and framed before the clock starts and written on kept-alive connections, as wrk does).\n"
    )?;
    writeln!(md, "- Machine: {}", machine())?;
    writeln!(md, "- Run: {} UTC", chrono_like_now())?;
    writeln!(
        md,
        "- Load: {} signed `checkout.session.completed` deliveries at {} connections over {} client companies, each paying a distinct session created through the relay's API before the clock starts (the path real payments take: the relay fulfils only sessions it created); status reads for {} s at {} connections; {} wake-ups with {} idle long polls.",
        args.webhooks,
        args.concurrency,
        args.clients,
        args.status_secs,
        args.concurrency,
        args.wakes,
        args.waiters
    )?;
    writeln!(
        md,
        "- Durability: every 200 is sent after the commit (SQLite WAL with `synchronous=FULL`; PostgreSQL defaults); concurrent webhooks share one transaction (group commit).\n"
    )?;
    writeln!(
        md,
        "| figure | target | {} |",
        all.iter()
            .map(|f| f.backend.as_str())
            .collect::<Vec<_>>()
            .join(" | ")
    )?;
    writeln!(md, "|---|---|{}", "---|".repeat(all.len()))?;
    let row = |md: &mut String, name: &str, target: &str, value: &dyn Fn(&Figures) -> String| {
        let _ = writeln!(
            md,
            "| {name} | {target} | {} |",
            all.iter().map(value).collect::<Vec<_>>().join(" | ")
        );
    };
    row(
        &mut md,
        "webhooks/s (durable)",
        "≥ 10,000 (SQLite)",
        &|f| format!("{:.0}", f.webhooks_per_sec),
    );
    row(&mut md, "webhook latency p50", "", &|f| ms(f.webhook_p50));
    row(&mut md, "webhook latency p99", "≤ 25 ms (SQLite)", &|f| {
        ms(f.webhook_p99)
    });
    row(&mut md, "answers other than 200", "0", &|f| {
        f.non_200.to_string()
    });
    row(&mut md, "events stored / sent", "all", &|f| {
        format!("{} / {}", f.stored_events, f.webhooks)
    });
    row(&mut md, "sessions fulfilled", "all, once", &|f| {
        f.fulfilled.to_string()
    });
    row(&mut md, "double fulfilments", "0", &|f| {
        f.double_fulfilled.to_string()
    });
    row(&mut md, "wrong expiries", "0", &|f| {
        f.wrong_expiries.to_string()
    });
    row(&mut md, "status reads/s", "≥ 30,000", &|f| {
        format!("{:.0}", f.status_per_sec)
    });
    row(&mut md, "status read p99", "", &|f| ms(f.status_p99));
    row(
        &mut md,
        "wake-up p50 (webhook sent → long poll answered)",
        "",
        &|f| ms(f.wake_p50),
    );
    row(&mut md, "wake-up p99", "≤ 20 ms", &|f| ms(f.wake_p99));
    replace_section(&args.output, "relay-bench", &md)
}

/// Rewrites only this tool's section of the report (between its markers), keeping the rest.
pub fn replace_section(path: &str, name: &str, body: &str) -> anyhow::Result<()> {
    let (start, end) = (
        format!("<!-- {name}:start -->"),
        format!("<!-- {name}:end -->"),
    );
    let old = std::fs::read_to_string(path).unwrap_or_else(|_| "# Benchmarks\n".into());
    let section = format!("{start}\n{body}{end}");
    let new = match (old.find(&start), old.find(&end)) {
        (Some(a), Some(b)) if a < b => format!("{}{section}{}", &old[..a], &old[b + end.len()..]),
        _ => format!("{}\n{section}\n", old.trim_end()),
    };
    std::fs::write(path, new)?;
    Ok(())
}

/// Now, as the report's headings write it.
pub fn now_text() -> String {
    chrono_like_now()
}

fn chrono_like_now() -> String {
    let secs = relay::clock::system_now();
    relay::routes::subscription::rfc3339(secs)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_owned()
}
