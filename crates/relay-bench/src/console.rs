//! `--console`: the operator console's pages over real HTTP once the load's companies and events
//! are in the database (`--clients 10000 --webhooks 100000` for the 10,000 companies and
//! 100,000 events), signed in as an operator as a browser is: the median and the 90th percentile
//! of [`REPEATS`] requests per page, each read whole. The time is the client's, on loopback: the
//! server's time plus well under a millisecond.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use relay::core::console::Role;

use crate::target::Relay;

const REPEATS: usize = 20;
const OPERATOR: &str = "bench@erp-btp.fr";
const PASSWORD: &str = "banc-d-essai-console";

/// One page's figures: its path, median, 90th percentile, size of the answer.
pub struct PageTime {
    pub path: String,
    pub p50: Duration,
    pub p90: Duration,
    pub bytes: usize,
}

/// The value of cookie `name` among a response's `Set-Cookie` headers.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Logs in through the form; the session cookie's header value.
async fn log_in(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let form = http.get(format!("{base}/admin/login")).send().await?;
    let csrf = set_cookie(&form, "relay_console_login").context("the login form's CSRF cookie")?;
    let answer = http
        .post(format!("{base}/admin/login"))
        .header("cookie", format!("relay_console_login={csrf}"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", OPERATOR),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    let session = set_cookie(&answer, "relay_console").context("logged in")?;
    Ok(format!("relay_console={session}"))
}

pub async fn pages(relay: &Relay, companies: usize) -> anyhow::Result<Vec<PageTime>> {
    let hash = relay::console::password::hash(PASSWORD);
    let now = relay::core::Timestamp::from_unix(relay::clock::system_now());
    relay
        .db
        .add_operator(OPERATOR, Role::Lecture, &hash, now)
        .await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = log_in(&http, &relay.base).await?;
    let last_page = companies.div_ceil(50).max(1);
    let one = relay
        .clients
        .get(42 % relay.clients.len())
        .context("a company")?
        .0
        .to_string();
    let paths = [
        "/admin".to_owned(),
        format!("/admin?page={last_page}"),
        "/admin?etat=actif".into(),
        "/admin?q=Entreprise%20977".into(),
        format!("/admin/companies/{one}"),
        "/admin/events".into(),
        format!("/admin/events?entreprise={one}"),
        "/admin/events?resultat=refuse".into(),
        "/admin/health".into(),
        "/admin/money".into(),
    ];
    let mut out = Vec::new();
    for path in paths {
        let mut times = Vec::with_capacity(REPEATS);
        let mut bytes = 0;
        for _ in 0..REPEATS {
            let started = Instant::now();
            let answer = http
                .get(format!("{}{path}", relay.base))
                .header("cookie", &cookie)
                .send()
                .await?;
            if answer.status() != 200 {
                bail!("{path} answered {}", answer.status());
            }
            bytes = answer.bytes().await?.len();
            times.push(started.elapsed());
        }
        times.sort();
        out.push(PageTime {
            path,
            p50: times[REPEATS / 2],
            p90: times[REPEATS * 9 / 10],
            bytes,
        });
    }
    Ok(out)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// The figures as a Markdown table, one column pair per backend.
pub fn table(companies: usize, events: usize, all: &[(String, Vec<PageTime>)]) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "## Operator console\n\nWritten by `relay-bench --console` (crates/relay-bench/src/console.rs): {companies} companies and {events} events stored by the load, then {REPEATS} requests per page signed in as an operator, each answer read whole; median and 90th percentile as the client on loopback measured them. Target: the companies list in ≤ 200 ms.\n- Run: {} UTC\n",
        crate::report::now_text()
    );
    let heads: Vec<String> = all
        .iter()
        .map(|(b, _)| format!("{b} p50 | {b} p90"))
        .collect();
    let _ = writeln!(md, "| page | {} | size |", heads.join(" | "));
    let _ = writeln!(md, "|---|{}---|", "---|---|".repeat(all.len()));
    for (i, page) in all[0].1.iter().enumerate() {
        let cells: Vec<String> = all
            .iter()
            .map(|(_, pages)| format!("{} | {}", ms(pages[i].p50), ms(pages[i].p90)))
            .collect();
        let _ = writeln!(
            md,
            "| `{}` | {} | {} KB |",
            page.path,
            cells.join(" | "),
            page.bytes / 1024
        );
    }
    md
}
