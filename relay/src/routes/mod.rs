//! HTTP routes, grouped by feature, and `app(state)`: the relay's router.

pub mod api;
pub mod checkout;
pub mod invoices;
pub mod ops;
pub mod pages;
pub mod portal;
pub mod subscription;
pub mod success;
pub mod webhook;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::{AppState, BODY_LIMIT, metrics};

pub fn app(state: AppState) -> Router {
    let pages = Router::new()
        .route("/pricing", get(pages::pricing))
        .route(
            "/renew-subscription",
            get(pages::renew).post(pages::renew_checkout),
        )
        .route("/payment-success", get(success::success))
        .route("/payment-cancelled", get(pages::cancelled))
        .route("/portal-return", get(portal::returned))
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
    // Every route but the long poll answers within the request deadline (the long poll is
    // bounded by its own `wait`).
    let timed = Router::new()
        .route("/api/stripe/plans", get(api::plans))
        .route("/api/stripe/config", get(api::config))
        .route(
            "/api/stripe/create-checkout-session",
            post(checkout::create),
        )
        .route("/api/stripe/webhook", post(webhook::receive))
        .route("/api/entitlement/public-key", get(subscription::public_key))
        .route("/api/renew-link", post(subscription::renew_link))
        .route("/api/billing-portal", post(portal::create))
        .route("/api/invoices", get(invoices::list))
        .route("/api/invoices/{number}/{kind}", get(invoices::download))
        .route("/healthz", get(ops::healthz))
        .merge(pages)
        .route_layer(axum::middleware::from_fn_with_state(
            state.settings.request_timeout,
            deadline,
        ));
    Router::new()
        .route("/api/subscription", get(subscription::status))
        .merge(timed)
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

/// `/metrics` alone, for the operator's own address (`RELAY_METRICS_ADDR`): what it tells
/// (traffic, refusals, batch sizes) is not for the public.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}

/// Answers 408 (in the contract's error shape) to a request not served within `limit`.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout.into_response(),
    }
}
