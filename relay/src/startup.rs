//! Start-up in one place: `Application::build` binds the listener, opens and migrates the
//! database, chooses Stripe (the configured one, or the in-process sandbox of `serve --sandbox`
//! mounted at `/sandbox-stripe`), wires the state and the router and starts the background tasks.
//! `relay serve` runs it until a signal; the tests spawn it on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use erp_btp_protocol::StripeMode;
use pa_sandbox::{Credentials, PaSandbox};
use stripe_sandbox::{RetryPolicy, Sandbox, SandboxConfig, WebhookTarget};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::changes::listen_for_changes;
use crate::config::{AppEnv, PaApi, Secret, Settings, StripeSettings};
use crate::db::{Backend, Db};
use crate::domain::PaymentOrigin;
use crate::state::{AppState, stopping};

/// Logs go to stderr through a background thread ([`crate::log_writer`]), so a request never
/// waits on a `write`; keep the returned guard alive until exit (it writes what is pending).
pub fn init_logging(json: bool) -> crate::log_writer::FlushGuard {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn".into());
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let (writer, guard) = crate::log_writer::batched(std::io::stderr());
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

/// Opens and migrates the configured database, with the variable named in the error. In
/// production a SQLite file that others may read is refused, whatever the command.
pub async fn open_database(settings: &Settings) -> anyhow::Result<Db> {
    if settings.env == AppEnv::Production {
        refuse_shared_file(settings.database_url.expose())?;
    }
    let db = Db::connect(settings.database_url.expose())
        .await
        .with_context(|| "DATABASE_URL : base de données injoignable".to_owned())?;
    db.migrate()
        .await
        .context("migrations de la base de données")?;
    Ok(db)
}

/// Warns about companies whose stored access the fold of their payments does not rebuild: an
/// expiry changed by hand, or payments older than the factures. Run by `relay serve` and `relay
/// migrate` only: it reads every payment, which the one-shot commands need not pay for.
pub(crate) async fn report_unexplained_access(db: &Db) {
    match db.unexplained_access().await {
        Ok(found) if found.is_empty() => {}
        Ok(found) => {
            let first: Vec<&str> = found.iter().take(10).map(|u| u.client.as_str()).collect();
            tracing::warn!(
                companies = found.len(),
                first = ?first,
                "stored access differs from the fold of the stored payments"
            );
        }
        Err(e) => tracing::warn!(error = %e, "could not rebuild access from the stored payments"),
    }
}

/// A SQLite file of `url` that its group or others may read or write: it holds every company's
/// payments and factures.
fn refuse_shared_file(url: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = url.strip_prefix("sqlite:") else {
        return Ok(());
    };
    let path = path
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        anyhow::ensure!(
            mode & 0o077 == 0,
            "DATABASE_URL : le fichier {path} est lisible par d'autres (mode {mode:o}) ; en production, faites chmod 600 {path}"
        );
    }
    Ok(())
}

/// The origin recorded with payments made through Stripe keys of `mode`.
pub fn origin_of(mode: StripeMode) -> PaymentOrigin {
    match mode {
        StripeMode::Test => PaymentOrigin::Test,
        StripeMode::Live => PaymentOrigin::Live,
    }
}

/// Which Stripe the relay talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeChoice {
    /// `STRIPE_*` from the settings (real Stripe, or a sandbox on its own address).
    Configured,
    /// The in-process sandbox, mounted at `/sandbox-stripe` on the relay's own listener.
    Sandbox,
}

/// A relay ready to serve: bound, migrated, wired.
pub struct Application {
    listener: TcpListener,
    metrics_listener: TcpListener,
    addr: SocketAddr,
    state: AppState,
    router: Router,
    sandbox: Option<Sandbox>,
    pa_sandbox: Option<PaSandbox>,
    stop: watch::Sender<bool>,
}

impl Application {
    /// Binds `RELAY_ADDR` and builds the relay on it.
    pub async fn build(settings: Settings, stripe: StripeChoice) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(settings.addr)
            .await
            .with_context(|| format!("RELAY_ADDR : impossible d'écouter sur {}", settings.addr))?;
        Self::build_on(listener, settings, stripe).await
    }

    /// Builds the relay on a listener already bound (tests bind port 0 first, to know the
    /// address `APP_URL` must name).
    pub async fn build_on(
        listener: TcpListener,
        mut settings: Settings,
        stripe: StripeChoice,
    ) -> anyhow::Result<Self> {
        let addr = listener.local_addr()?;
        if stripe == StripeChoice::Sandbox {
            sandbox_allowed(&settings)?;
        }
        let db = open_database(&settings).await?;
        report_unexplained_access(&db).await;
        let mut pa_sandbox = None;
        let (stripe_settings, sandbox, origin) = match (stripe, settings.stripe.clone()) {
            (StripeChoice::Sandbox, _) => {
                let foreign = db.rows_not_from_sandbox().await?;
                anyhow::ensure!(
                    foreign == 0,
                    "--sandbox refusé : la base (DATABASE_URL) contient {foreign} paiement(s) ou événement(s) d'un vrai Stripe ou d'origine inconnue ; utilisez une base à part pour le Stripe simulé"
                );
                let (s, sandbox) = sandbox_for(&settings, addr);
                pa_sandbox = Some(pa_sandbox_for(&mut settings, addr));
                (s, Some(sandbox), PaymentOrigin::Sandbox)
            }
            (StripeChoice::Configured, Some(s)) => {
                let origin = origin_of(s.mode);
                (s, None, origin)
            }
            (StripeChoice::Configured, None) => anyhow::bail!("STRIPE_SECRET_KEY absente"),
        };
        let (stop, stopped) = watch::channel(false);
        let state = AppState::build(settings, stripe_settings, origin, db, stopped).await?;
        if let Some(every) = state.settings.reconcile_every {
            crate::reconcile::spawn_schedule(state.clone(), every);
        }
        crate::money_back::stops::spawn(state.clone(), Duration::from_secs(2));
        crate::pa::spawn(&state, Duration::from_millis(500));
        state.db.spawn_wal_checkpoints(Duration::from_millis(50));
        if state.db.backend == Backend::Postgres {
            let url = state.settings.database_url.expose().to_owned();
            listen_for_changes(url, state.changes.clone());
        }
        let metrics_listener = TcpListener::bind(state.settings.metrics_addr)
            .await
            .with_context(|| {
                format!(
                    "RELAY_METRICS_ADDR : impossible d'écouter sur {}",
                    state.settings.metrics_addr
                )
            })?;
        let mut router = crate::routes::app(state.clone());
        if let Some(sandbox) = &sandbox {
            router = router.nest("/sandbox-stripe", sandbox.router());
        }
        if let Some(pa) = &pa_sandbox {
            router = router.nest("/sandbox-pa", pa.router());
        }
        Ok(Self {
            listener,
            metrics_listener,
            addr,
            state,
            router,
            sandbox,
            pa_sandbox,
            stop,
        })
    }

    /// An address this machine can connect to (a wildcard bind becomes loopback).
    pub fn local_addr(&self) -> SocketAddr {
        local(self.addr)
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        local(self.metrics_listener.local_addr().expect("bound"))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn sandbox(&self) -> Option<&Sandbox> {
        self.sandbox.as_ref()
    }

    /// The offline approved platform of `serve --sandbox`, mounted at `/sandbox-pa`.
    pub fn pa_sandbox(&self) -> Option<&PaSandbox> {
        self.pa_sandbox.as_ref()
    }

    /// Serves until `signal` resolves, then finishes the requests in flight (held long polls
    /// are released at once).
    pub async fn run_until(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let stop = self.stop;
        let header_timeout = self.state.settings.header_timeout;
        let mut stopped = stop.subscribe();
        tokio::spawn(crate::http_server::serve(
            self.metrics_listener,
            crate::routes::metrics_app(self.state.clone()),
            header_timeout,
            async move { stopping(&mut stopped).await },
        ));
        crate::http_server::serve(self.listener, self.router, header_timeout, async move {
            signal.await;
            tracing::info!("shutting down: finishing requests in flight");
            let _ = stop.send(true);
        })
        .await;
        Ok(())
    }

    /// Serves in the background until the returned handle's `stop` (or its drop).
    pub fn spawn(self) -> Running {
        let base = format!("http://{}", self.local_addr());
        let metrics_base = format!("http://{}", self.metrics_addr());
        let (state, sandbox) = (self.state.clone(), self.sandbox.clone());
        let pa_sandbox = self.pa_sandbox.clone();
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(self.run_until(async move { stopping(&mut stopped).await }));
        Running {
            base,
            metrics_base,
            state,
            sandbox,
            pa_sandbox,
            stop,
        }
    }
}

/// A relay serving in the background.
pub struct Running {
    pub base: String,
    /// Where `/metrics` is served.
    pub metrics_base: String,
    pub state: AppState,
    pub sandbox: Option<Sandbox>,
    pub pa_sandbox: Option<PaSandbox>,
    stop: watch::Sender<bool>,
}

impl Running {
    /// Begins a graceful shutdown, as SIGTERM does.
    pub fn stop(&self) {
        let _ = self.stop.send(true);
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The simulated Stripe "pays" without money and its control routes are public: never where
/// real companies are served.
fn sandbox_allowed(settings: &Settings) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.env != AppEnv::Production,
        "--sandbox refusé : APP_ENV=production (le Stripe simulé n'est jamais utilisé en production)"
    );
    anyhow::ensure!(
        !settings.live_key_configured,
        "--sandbox refusé : STRIPE_SECRET_KEY est une clé live (sk_live_/rk_live_) ; retirez-la pour essayer le Stripe simulé"
    );
    Ok(())
}

fn local(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// Stripe settings and router of an in-process sandbox mounted at `/sandbox-stripe`.
fn sandbox_for(settings: &Settings, addr: SocketAddr) -> (StripeSettings, Sandbox) {
    let local = local(addr);
    let webhook_secret = format!("whsec_sandbox_{}", stripe_sandbox::random_id(32));
    // The simulated Stripe opens its API to one key, as Stripe does: STRIPE_SECRET_KEY when it
    // is a test key, else a fresh one that `serve --sandbox` prints.
    let secret_key = settings
        .sandbox_key
        .as_ref()
        .map(|k| k.expose().to_owned())
        .unwrap_or_else(stripe_sandbox::generate_key);
    let sandbox = Sandbox::new(SandboxConfig {
        public_base: settings.public_url("/sandbox-stripe"),
        webhook: Some(WebhookTarget {
            url: format!("http://{local}/api/stripe/webhook"),
            secrets: vec![webhook_secret.clone()],
        }),
        retry: RetryPolicy::default(),
        sepa_settle_after: Duration::from_secs(10),
        return_origin: Some(settings.app_url.origin().ascii_serialization()),
        secret_key: secret_key.clone(),
    });
    let stripe = StripeSettings {
        secret_key: Secret::new(secret_key),
        publishable_key: format!("pk_test_sandbox_{}", stripe_sandbox::random_id(24)),
        webhook_secrets: vec![Secret::new(webhook_secret)],
        api_base: format!("http://{local}/sandbox-stripe/"),
        mode: StripeMode::Test,
    };
    (stripe, sandbox)
}

/// The offline approved platform mounted at `/sandbox-pa`: `PA_*` point at it (transmission on,
/// unless `PA_MODE=off` was set), with `PA_CLIENT_ID` / `PA_CLIENT_SECRET` as its credentials
/// when both are set, else fresh ones that `serve --sandbox` prints.
fn pa_sandbox_for(settings: &mut Settings, addr: SocketAddr) -> PaSandbox {
    let credentials = match &settings.pa.api {
        Some(api) => Credentials {
            client_id: api.client_id.clone(),
            client_secret: api.client_secret.expose().to_owned(),
        },
        None => Credentials::generate(),
    };
    let base = format!("http://{}/sandbox-pa", local(addr));
    let url = |path: &str| url::Url::parse(&format!("{base}{path}")).expect("a valid URL");
    if !(settings.pa.mode_set && settings.pa.api.is_none()) {
        settings.pa.api = Some(PaApi {
            flow: url("/afnor-flow"),
            directory: url("/afnor-directory"),
            token_url: url("/token"),
            client_id: credentials.client_id.clone(),
            client_secret: Secret::new(credentials.client_secret.clone()),
        });
    }
    PaSandbox::new(credentials)
}
