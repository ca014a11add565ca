//! The ERP BTP subscription relay: pricing pages, Stripe Checkout, verified webhooks applied
//! exactly once, and subscription status for the desktop app. `app(state)` builds the router
//! that `relay serve` and the tests run.

pub mod auth;
pub mod changes;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod fulfil;
pub mod keys;
pub mod metrics;
pub mod plans;
pub mod reader;
pub mod routes;
pub mod server;
pub mod signature;
pub mod simulate;
pub mod stripe;
pub mod writer;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::changes::Changes;
use crate::config::{Settings, StripeSettings};
use crate::db::Db;
use crate::keys::Keys;
use crate::metrics::Metrics;
use crate::plans::Catalogue;
use crate::stripe::StripeApi;
use crate::writer::Writer;

/// Largest request body accepted; Stripe's checkout events are a few kilobytes.
pub const BODY_LIMIT: usize = 256 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub stripe_settings: Arc<StripeSettings>,
    pub db: Db,
    pub plans: Arc<Catalogue>,
    pub stripe: StripeApi,
    pub writer: Writer,
    pub reader: reader::Reader,
    pub changes: Changes,
    pub metrics: Metrics,
    pub keys: Arc<Keys>,
    /// Flips to true at shutdown, releasing held long polls.
    pub shutdown: tokio::sync::watch::Receiver<bool>,
}

impl AppState {
    /// Wires the state from validated settings and an open, migrated database.
    pub async fn build(
        settings: Settings,
        stripe_settings: StripeSettings,
        db: Db,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<Self> {
        let plans =
            Arc::new(Catalogue::load(settings.plans_file.as_deref()).map_err(anyhow::Error::msg)?);
        let keys = Arc::new(
            Keys::load(settings.signing_key.as_ref(), &db)
                .await
                .map_err(anyhow::Error::msg)?,
        );
        let stripe = StripeApi::new(&stripe_settings)?;
        let changes = Changes::default();
        let metrics = Metrics::default();
        let reader = reader::Reader::spawn(db.clone());
        let writer = Writer::spawn(db.clone(), plans.clone(), changes.clone(), metrics.clone());
        if db.backend == db::Backend::Postgres {
            server::listen_for_changes(settings.database_url.expose().to_owned(), changes.clone());
        }
        Ok(Self {
            settings: Arc::new(settings),
            stripe_settings: Arc::new(stripe_settings),
            db,
            plans,
            stripe,
            writer,
            reader,
            changes,
            metrics,
            keys,
            shutdown,
        })
    }
}

pub fn app(state: AppState) -> Router {
    use routes::*;
    let pages = Router::new()
        .route("/pricing", get(pages::pricing))
        .route(
            "/renew-subscription",
            get(pages::renew).post(pages::renew_checkout),
        )
        .route("/payment-success", get(pages::success))
        .route("/payment-cancelled", get(pages::cancelled))
        .route("/static/app.css", get(ops::stylesheet))
        .route(
            "/",
            get(|| async { axum::response::Redirect::to("/pricing") }),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("referrer-policy"),
            HeaderValue::from_static("no-referrer"),
        ));
    Router::new()
        .route("/api/stripe/plans", get(api::plans))
        .route("/api/stripe/config", get(api::config))
        .route(
            "/api/stripe/create-checkout-session",
            post(checkout::create),
        )
        .route("/api/stripe/webhook", post(webhook::receive))
        .route("/api/subscription", get(subscription::status))
        .route("/api/entitlement/public-key", get(subscription::public_key))
        .route("/api/renew-link", post(subscription::renew_link))
        .route("/healthz", get(ops::healthz))
        .route("/metrics", get(ops::metrics))
        .merge(pages)
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            metrics::track,
        ))
        .fallback(ops::not_found)
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
