//! `AppState`: what every handler shares, wired once from validated settings and an open,
//! migrated database (see `startup::Application`, which is the only caller).

use std::sync::Arc;

use tokio::sync::watch;

use crate::billing::BillingApi;
use crate::changes::Changes;
use crate::clock::Clock;
use crate::config::{Settings, StripeSettings};
use crate::core::renewal::RenewalPolicy;
use crate::db::Db;
use crate::domain::PaymentOrigin;
use crate::keys::Keys;
use crate::limits::{Bucket, LongPolls, PerSession};
use crate::metrics::Metrics;
use crate::plans::Catalogue;
use crate::reader::Reader;
use crate::stripe::StripeApi;
use crate::writer::Writer;

/// Cloned for every request (axum's `State`), hence one `Arc` around the whole.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub settings: Arc<Settings>,
    pub stripe_settings: Arc<StripeSettings>,
    pub db: Db,
    pub plans: Arc<Catalogue>,
    pub stripe: StripeApi,
    pub billing: BillingApi,
    pub renewal: RenewalPolicy,
    pub writer: Writer,
    pub reader: Reader,
    pub changes: Changes,
    pub metrics: Metrics,
    pub keys: Arc<Keys>,
    pub clock: Clock,
    /// Which Stripe this relay talks to, recorded with every payment.
    pub origin: PaymentOrigin,
    pub long_polls: LongPolls,
    /// Stripe look-ups left to the public success page, shared, and each session's own.
    pub success_lookups: Bucket,
    pub session_lookups: PerSession<crate::domain::PaymentResult>,
    /// Flips to true at shutdown, releasing held long polls.
    pub shutdown: watch::Receiver<bool>,
}

impl AppState {
    /// Starts the writer and the batched reader on `db`.
    pub(crate) async fn build(
        settings: Settings,
        stripe_settings: StripeSettings,
        origin: PaymentOrigin,
        db: Db,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        // Every command that builds the relay's state (serve, reconcile) may sign entitlements
        // and issue factures: in production never with a seed generated into the database or a
        // seller missing.
        if settings.env == crate::config::AppEnv::Production {
            settings.check_for_serving()?;
        }
        let plans =
            Arc::new(Catalogue::load(settings.plans_file.as_deref()).map_err(anyhow::Error::msg)?);
        let keys = Arc::new(
            Keys::load(settings.signing_key.as_ref(), &db)
                .await
                .map_err(anyhow::Error::msg)?,
        );
        let stripe = StripeApi::new(&stripe_settings)?;
        let billing = BillingApi::new(&stripe_settings)?;
        let renewal = settings.renewal;
        let clock = Clock::default();
        let long_polls = LongPolls::new(settings.max_waits_per_token, settings.max_long_polls);
        let success_lookups = Bucket::new(settings.success_lookups_per_sec);
        let changes = Changes::new(db.status_cache.clone());
        let metrics = Metrics::default();
        let reader = Reader::spawn(db.clone());
        let writer = Writer::spawn(
            db.clone(),
            plans.clone(),
            changes.clone(),
            metrics.clone(),
            clock.clone(),
            origin,
        );
        Ok(Self(Arc::new(Shared {
            settings: Arc::new(settings),
            stripe_settings: Arc::new(stripe_settings),
            db,
            plans,
            stripe,
            billing,
            renewal,
            writer,
            reader,
            changes,
            metrics,
            keys,
            clock,
            origin,
            long_polls,
            success_lookups,
            // A payer's page reloads every few seconds; one look-up per session serves them all.
            session_lookups: PerSession::new(std::time::Duration::from_secs(3)),
            shutdown,
        })))
    }
}

/// Resolves once shutdown has begun (never, if nobody can begin it any more).
pub async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|stop| *stop).await.is_err() {
        std::future::pending::<()>().await;
    }
}
