//! `stripe-sandbox`: runs the offline Stripe on its own, beside any relay.
//!
//! ```text
//! stripe-sandbox --listen 127.0.0.1:12111 \
//!     --webhook-url http://127.0.0.1:8080/api/stripe/webhook --webhook-secret whsec_…
//! ```
//! then point the relay at it with `STRIPE_API_BASE=http://127.0.0.1:12111` and the secret key
//! it prints (or the `sk_test_` key it found in `STRIPE_SECRET_KEY`).

use std::time::Duration;

use clap::Parser;
use stripe_sandbox::{RetryPolicy, Sandbox, SandboxConfig, WebhookTarget};

#[derive(Parser)]
#[command(
    about = "Offline Stripe test double: Checkout Sessions API, hosted checkout, signed webhooks. No real payment ever happens."
)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:12111")]
    listen: String,
    /// Public base URL of this sandbox, if not http://<listen>.
    #[arg(long)]
    public_url: Option<String>,
    /// Where to deliver webhook events (none: events are only recorded).
    #[arg(long)]
    webhook_url: Option<String>,
    /// Signing secret(s); repeat to sign with several, as during a secret roll.
    #[arg(
        long = "webhook-secret",
        env = "STRIPE_WEBHOOK_SECRET",
        value_delimiter = ',',
        hide_env_values = true
    )]
    webhook_secrets: Vec<String>,
    /// Seconds before a test SEPA debit settles.
    #[arg(long, default_value_t = 10)]
    sepa_delay_secs: u64,
    /// The only origin success and cancel URLs may point to (default: the webhook URL's).
    #[arg(long)]
    return_origin: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let return_origin = args.return_origin.clone().or_else(|| {
        let url = url::Url::parse(args.webhook_url.as_deref()?).ok()?;
        Some(url.origin().ascii_serialization())
    });
    let webhook = match args.webhook_url {
        Some(url) if args.webhook_secrets.is_empty() => {
            anyhow::bail!(
                "--webhook-secret (or STRIPE_WEBHOOK_SECRET) is required with --webhook-url {url}"
            )
        }
        Some(url) => Some(WebhookTarget {
            url,
            secrets: args.webhook_secrets,
        }),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    let addr = listener.local_addr()?;
    let public_base = args.public_url.unwrap_or_else(|| format!("http://{addr}"));
    // As on Stripe, one secret key opens the API: the caller's test key, or a fresh one.
    let secret_key = std::env::var("STRIPE_SECRET_KEY")
        .ok()
        .map(|k| k.trim().to_owned())
        .filter(|k| k.starts_with("sk_test_"))
        .unwrap_or_else(stripe_sandbox::generate_key);
    let sandbox = Sandbox::new(SandboxConfig {
        public_base: public_base.trim_end_matches('/').to_owned(),
        webhook,
        retry: RetryPolicy::default(),
        sepa_settle_after: Duration::from_secs(args.sepa_delay_secs),
        return_origin,
        secret_key: secret_key.clone(),
    });
    println!("Stripe sandbox (mode test, aucun paiement réel) : {public_base}");
    println!("Clé secrète du Stripe simulé : {secret_key}");
    axum::serve(listener, sandbox.router()).await?;
    Ok(())
}
