//! The relay as a separate process, as an operator runs it: a free port, the real `relay serve`
//! binary, waiting until it is healthy, and a Stripe that never answers.

use std::time::Duration;

/// A TCP port free on loopback right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The real `relay serve` binary on `port`, its database at `db_url`, Stripe at `stripe_base`,
/// webhooks signed with `secret`; its output is discarded.
pub fn spawn_relay_process(
    db_url: &str,
    port: u16,
    stripe_base: &str,
    secret: &str,
) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STRIPE_SECRET_KEY", "sk_test_process_key")
        .env("STRIPE_PUBLISHABLE_KEY", "pk_test_process_key")
        .env("STRIPE_WEBHOOK_SECRET", secret)
        .env("STRIPE_API_BASE", stripe_base)
        .env("DATABASE_URL", db_url)
        .env("RELAY_ADDR", format!("127.0.0.1:{port}"))
        .env("RELAY_METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `base` answers `/healthz` with 200 (5 s at most).
pub async fn wait_healthy(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("relay at {base} did not come up");
}

/// A "Stripe" that accepts connections and never answers; its base URL.
pub fn silent_stripe() -> String {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", silent.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept() {
            held.push(socket);
        }
    });
    base
}
