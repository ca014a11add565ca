//! The real binary as a newcomer runs it: `relay serve --sandbox` prints a demo token and renew
//! link; a renewal through that link in headless Chromium and `relay simulate` both end applied;
//! the log carries the contract's three `stripe_service` lines and, with request traces on, no renew link;
//! SIGTERM stops it cleanly.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::free_port;

struct Server {
    child: Child,
    base: String,
    token: String,
    link: String,
    /// The simulated Stripe's secret key, as `serve --sandbox` printed it.
    stripe_key: String,
}

fn start_sandbox_relay(db: &std::path::Path) -> Server {
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["serve", "--sandbox"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RELAY_ADDR", format!("127.0.0.1:{port}"))
        .env("RELAY_METRICS_ADDR", "127.0.0.1:0")
        .env("APP_URL", &base)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        // Request traces on, as an operator debugging would: links must not reach them.
        .env("RUST_LOG", "info,sqlx=warn,tower_http=debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut link = String::new();
    let mut stripe_key = String::new();
    let token = loop {
        let line = lines.next().expect("relay printed its token").unwrap();
        if line.trim_start().starts_with("http") && line.contains("/renew-subscription?link=") {
            link = line.trim().to_owned();
        }
        if let Some(key) = line.strip_prefix("Clé secrète du Stripe simulé : ") {
            stripe_key = key.trim().to_owned();
        }
        if line.starts_with("erpbtp_") {
            break line;
        }
    };
    // Then where the console is, and how to get in.
    let console = lines.next().expect("the console's address").unwrap();
    assert_eq!(console, format!("Console des opérateurs : {base}/admin"));
    let how = lines.next().unwrap().unwrap();
    assert!(how.contains("relay admins add --email"), "{how}");
    Server {
        child,
        base,
        token,
        link,
        stripe_key,
    }
}

#[test]
fn serve_sandbox_takes_a_newcomer_from_the_renew_link_to_an_applied_renewal() {
    let db = std::env::temp_dir().join(format!("sandbox_mode_{}.db", stripe_sandbox::random_id(8)));
    let mut server = start_sandbox_relay(&db);
    assert!(
        server
            .link
            .starts_with(&format!("{}/renew-subscription?link=demo.", server.base)),
        "{}",
        server.link
    );

    let browser =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/browser/checkout.mjs");
    let out = Command::new("node")
        .arg(browser)
        .args([
            &server.link,
            "4242424242424242",
            "votre paiement est confirmé",
            "once",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    let printed = simulate(&server, &["--plan", "annuel", "--outcome", "sepa-ok"]);
    assert!(
        printed.contains("Abonnement mis à jour : statut active, plan annuel"),
        "{printed}"
    );
    assert!(
        printed.contains("395 jour(s) restant(s)"),
        "30 + 365 days: {printed}"
    );

    let port = server.base.rsplit(':').next().unwrap().to_owned();
    let health = Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("healthcheck")
        .env("RELAY_ADDR", format!("0.0.0.0:{port}"))
        .status()
        .unwrap();
    assert!(
        health.success(),
        "relay healthcheck (the container probe) sees it healthy"
    );

    // SIGTERM: graceful shutdown, then read what it logged.
    send_sigterm(server.child.id());
    let status = wait_with_timeout(&mut server.child, Duration::from_secs(10));
    assert!(
        status.is_some_and(|s| s.success()),
        "stopped cleanly on SIGTERM: {status:?}"
    );
    let mut log = String::new();
    server
        .child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    for line in [
        "stripe_service: Checkout session created: cs_test_",
        "for client demo, plan mensuel",
        "stripe_service: Webhook received: checkout.session.completed",
        "stripe_service: Abonnement mis à jour pour demo: plan=mensuel, expire=",
    ] {
        assert!(log.contains(line), "missing {line:?} in log:\n{log}");
    }
    // One search for an event's id finds its receipt and what the writer committed for it (the
    // success page may apply the one-off payment first; the SEPA renewal's event is the
    // webhook's own).
    let events: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Webhook received: checkout.session."))
        .map(|received| {
            received
                .split("event=")
                .nth(1)
                .and_then(|rest| rest.split([' ', '}']).next())
                .unwrap_or_else(|| panic!("the receipt names its event: {received}"))
        })
        .collect();
    assert!(!events.is_empty(), "{log}");
    assert!(
        events.iter().any(|event| {
            log.lines()
                .filter(|l| l.contains(&format!("event={event}")))
                .any(|l| l.contains("client=demo") && l.contains("Abonnement mis à jour pour demo"))
        }),
        "the writer's line carries the event and its company:\n{log}"
    );
    let link_secret = server.link.split("link=").nth(1).unwrap();
    assert!(
        log.contains("/renew-subscription?link=[masqué]"),
        "the renew page's request is traced, its link hidden:\n{log}"
    );
    assert!(
        !log.contains(link_secret),
        "a renew link in the log:\n{log}"
    );
    assert!(
        server.stripe_key.starts_with("sk_test_"),
        "the key is printed"
    );
    assert!(
        !log.contains(&server.stripe_key) && !log.contains("whsec_"),
        "no secret in the log"
    );
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn simulate(server: &Server, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_relay"))
        .args([
            "simulate",
            "--relay",
            &server.base,
            "--token",
            &server.token,
            "--stripe-key",
            &server.stripe_key,
        ])
        .args(args)
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    printed
}

#[test]
fn simulate_runs_a_year_of_automatic_renewals_then_a_failure_and_a_cancellation() {
    let db = std::env::temp_dir().join(format!("sandbox_year_{}.db", stripe_sandbox::random_id(8)));
    let mut server = start_sandbox_relay(&db);
    let year = simulate(&server, &["year"]);
    assert!(year.contains("Mois 0 : statut active"), "{year}");
    let paid = year
        .lines()
        .filter(|l| l.starts_with("Échéance ") && l.contains(" payée de 49\u{a0}€"))
        .count();
    assert_eq!(paid, 12, "{year}");
    assert!(!year.contains("échoué"), "{year}");
    let failed = simulate(&server, &["renewal-failed"]);
    assert!(
        failed.contains("impayée") && failed.contains("prélèvement échoué (délai de grâce)"),
        "{failed}"
    );
    assert!(
        failed.contains("statut active"),
        "still access within the grace: {failed}"
    );
    let cancelled = simulate(&server, &["cancel-renewal"]);
    assert!(
        cancelled.contains("renouvellement arrêté à la fin de la période"),
        "{cancelled}"
    );
    send_sigterm(server.child.id());
    wait_with_timeout(&mut server.child, Duration::from_secs(10));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

fn send_sigterm(pid: u32) {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
}

fn wait_with_timeout(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    None
}
