//! Running the relay: logging, binding, the in-process Stripe sandbox for `serve --sandbox`,
//! graceful shutdown, and the PostgreSQL LISTEN task that carries other instances' changes.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use erp_btp_protocol::StripeMode;
use stripe_sandbox::{RetryPolicy, Sandbox, SandboxConfig, WebhookTarget};
use tokio::net::TcpListener;

use crate::changes::{Changes, parse_notification};
use crate::config::{Secret, Settings, StripeSettings};
use crate::db::Db;
use crate::domain::ClientId;
use crate::{AppState, app};

/// Logs go to stderr through a background writer, so a request never waits on a `write`;
/// keep the returned guard alive until exit (it flushes what is pending).
pub fn init_logging(json: bool) -> tracing_appender::non_blocking::WorkerGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .finish(std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(colours);
    // `try_init`: tests start several relays in one process.
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    guard
}

/// Opens and migrates the configured database, with the variable named in the error.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(settings.database_url.expose())
        .await
        .with_context(|| "DATABASE_URL : base de données injoignable".to_owned())?;
    db.migrate()
        .await
        .context("migrations de la base de données")?;
    Ok(db)
}

/// An address this machine can connect to for `addr` (a wildcard bind becomes loopback).
fn local(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// Stripe settings and router of an in-process sandbox mounted at `/sandbox-stripe`.
pub fn sandbox_for(settings: &Settings, addr: SocketAddr) -> (StripeSettings, Sandbox) {
    let local = local(addr);
    let webhook_secret = format!("whsec_sandbox_{}", stripe_sandbox::random_id(32));
    let sandbox = Sandbox::new(SandboxConfig {
        public_base: settings.public_url("/sandbox-stripe"),
        webhook: Some(WebhookTarget {
            url: format!("http://{local}/api/stripe/webhook"),
            secrets: vec![webhook_secret.clone()],
        }),
        retry: RetryPolicy::default(),
        sepa_settle_after: Duration::from_secs(10),
    });
    let stripe = StripeSettings {
        secret_key: Secret::new(format!("sk_test_sandbox_{}", stripe_sandbox::random_id(24))),
        publishable_key: format!("pk_test_sandbox_{}", stripe_sandbox::random_id(24)),
        webhook_secrets: vec![Secret::new(webhook_secret)],
        api_base: format!("http://{local}/sandbox-stripe/"),
        mode: StripeMode::Test,
    };
    (stripe, sandbox)
}

pub async fn serve(settings: Settings, sandbox: bool) -> anyhow::Result<()> {
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let listener = TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("RELAY_ADDR : impossible d'écouter sur {}", settings.addr))?;
    let addr = listener.local_addr()?;
    let db = open_database(&settings).await?;
    let (stripe_settings, sandbox) = match (&settings.stripe, sandbox) {
        (_, true) => {
            let (s, sb) = sandbox_for(&settings, addr);
            (s, Some(sb))
        }
        (Some(s), false) => (s.clone(), None),
        (None, false) => anyhow::bail!("STRIPE_SECRET_KEY absente"),
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let state = AppState::build(settings, stripe_settings, db, stopped).await?;
    let mut router = app(state.clone());
    if let Some(sb) = sandbox {
        router = router.nest("/sandbox-stripe", sb.router());
        announce_sandbox(&state).await?;
    }
    tracing::info!(
        "relay listening on http://{addr} (APP_URL {})",
        state.settings.app_url
    );
    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop.send(true);
        })
        .await?;
    Ok(())
}

/// `serve --sandbox` registers (or re-keys) a demo client and prints how to try a renewal.
async fn announce_sandbox(state: &AppState) -> anyhow::Result<()> {
    let demo = ClientId::parse("demo").expect("valid id");
    let token = match state.db.add_client(&demo, "Entreprise Démo BTP").await {
        Ok(token) => token,
        Err(crate::db::clients::ClientError::Exists(_)) => state.db.reissue_token(&demo).await?,
        Err(e) => return Err(e.into()),
    };
    let link = state.settings.public_url(&format!(
        "/renew-subscription?link={}",
        state.keys.renew_token(&demo, crate::db::now())
    ));
    println!("Mode sandbox : Stripe est simulé, aucun paiement réel n'a lieu.");
    println!(
        "Client de démonstration « demo » — page de renouvellement (valable 15 min) :\n  {link}"
    );
    println!("Carte de test : 4242 4242 4242 4242, date future, CVC quelconque.");
    println!("Jeton d'API du client demo (pour l'application de bureau ou relay simulate) :");
    println!("{token}");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}

/// Feeds `pg_notify` payloads committed by any instance into `changes`; reconnects on error.
pub fn listen_for_changes(url: String, changes: Changes) {
    tokio::spawn(async move {
        loop {
            match sqlx::postgres::PgListener::connect(&url).await {
                Ok(mut listener) => {
                    if let Err(e) = listener.listen("erp_btp_subscription").await {
                        tracing::warn!(error = %e, "LISTEN failed");
                    } else {
                        loop {
                            match listener.recv().await {
                                Ok(n) => {
                                    if let Some((version, client)) = parse_notification(n.payload())
                                    {
                                        changes.publish(client, version);
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(error = %e, "LISTEN connection lost; reconnecting");
                                    break;
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "LISTEN connection failed; retrying"),
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
