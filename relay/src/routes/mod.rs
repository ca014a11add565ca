//! HTTP routes, grouped by feature, and `app(state)`: the relay's router.

pub mod api;
pub mod checkout;
pub mod company;
pub mod invoices;
pub mod ops;
pub mod pages;
pub mod portal;
pub mod subscription;
pub mod success;
pub mod webhook;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::AppError;
use crate::limits::BODY_LIMIT;
use crate::metrics;
use crate::state::AppState;

pub fn app(state: AppState) -> Router {
    let pages = pages::html_headers(
        Router::new()
            .route("/pricing", get(pages::pricing))
            .route(
                "/renew-subscription",
                get(pages::renew).post(pages::renew_checkout),
            )
            .route("/renew-subscription/siren", post(company::renew_siren))
            .route("/payment-success", get(success::success))
            .route("/payment-cancelled", get(pages::cancelled))
            .route("/portal-return", get(portal::returned))
            .route("/static/app.css", get(ops::stylesheet))
            .route(
                "/",
                get(|| async { axum::response::Redirect::to("/pricing") }),
            ),
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
    );
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
        .route("/api/company", get(company::show))
        .route("/api/company/siren", post(company::set_siren))
        .route("/api/invoices", get(invoices::list))
        .route("/api/invoices/{number}/{kind}", get(invoices::download))
        .route("/healthz", get(ops::healthz))
        .merge(pages)
        .merge(if state.settings.console {
            crate::console::router()
        } else {
            Router::new()
        })
        .route_layer(axum::middleware::from_fn_with_state(
            state.settings.request_timeout,
            deadline,
        ));
    Router::new()
        .route("/api/subscription", get(subscription::status))
        .merge(timed)
        .merge(if state.settings.console {
            crate::console::downloads()
        } else {
            Router::new()
        })
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
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .with_state(state)
}

/// The span `tower_http=debug` logs each request in: its method and its URI with the value of
/// every `link` parameter hidden (facture and renewal links are 15-minute bearer credentials),
/// never its headers.
fn request_span(request: &Request) -> tracing::Span {
    // tower_http's own target, so that `tower_http=debug` shows the span as it shows its lines.
    tracing::debug_span!(
        target: "tower_http::trace::make_span",
        "request",
        method = %request.method(),
        uri = %redacted(request.uri()),
        version = ?request.version(),
    )
}

/// `uri` with the value of each `link` query parameter replaced by `[masqué]`. Pure.
pub fn redacted(uri: &axum::http::Uri) -> String {
    let Some(query) = uri.query() else {
        return uri.to_string();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("link") => {
                format!("{key}=[masqué]")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", uri.path(), pairs.join("&"))
}

/// `/metrics` alone, for the operator's own address (`RELAY_METRICS_ADDR`): what it tells
/// (traffic, refusals, batch sizes) is not for the public.
pub fn metrics_app(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_link_in_the_query_never_reaches_a_log() {
        let uri = "/api/invoices/F-2026-000001/pdf?link=eyJ0.secret&x=1"
            .parse()
            .unwrap();
        assert_eq!(
            redacted(&uri),
            "/api/invoices/F-2026-000001/pdf?link=[masqué]&x=1"
        );
        let renew = "/renew-subscription?LINK=abc".parse().unwrap();
        assert_eq!(redacted(&renew), "/renew-subscription?LINK=[masqué]");
        let plain = "/payment-success?session_id=cs_test_1".parse().unwrap();
        assert_eq!(redacted(&plain), "/payment-success?session_id=cs_test_1");
    }
}

/// Answers 408 (in the contract's error shape) to a request not served within `limit`.
async fn deadline(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout.into_response(),
    }
}
