//! The operator console at `/admin`: French pages for the people who run the relay (the
//! companies and their state, each company's payments, factures, sessions and events, the events
//! journal, the audit trail), behind operators' own passwords and server-side sessions. Off with
//! `RELAY_ADMIN=off`; no company's API token opens it.

mod actions;
mod companies;
mod documents;
pub mod error;
mod events;
mod export;
mod health;
mod history;
mod login;
mod money;
pub mod password;
mod refund;
mod renew;
pub mod session;
mod traffic;

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use erp_btp_protocol::fr;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::db::operators::AuditLine;
use crate::routes::pages::page;
use crate::state::AppState;
use error::ConsoleError;
use session::SignedIn;

/// The console's routes, for `routes::app` to mount when `RELAY_ADMIN` is on.
pub fn router() -> Router<AppState> {
    let router = Router::new()
        .route("/admin", get(companies::list))
        .route("/admin/login", get(login::show).post(login::submit))
        .route("/admin/logout", post(login::logout))
        .route("/admin/companies", post(actions::add))
        .route("/admin/companies/new", get(actions::new))
        .route("/admin/companies/{id}", get(companies::show))
        .route("/admin/companies/{id}/name", post(actions::rename))
        .route("/admin/companies/{id}/siren", post(actions::set_siren))
        .route(
            "/admin/companies/{id}/revoke",
            get(actions::confirm_revoke).post(actions::revoke),
        )
        .route("/admin/companies/{id}/renew-link", post(renew::send))
        .route("/admin/console.js", get(script))
        .route(
            "/admin/factures/{number}/refund",
            get(refund::confirm).post(refund::refund),
        )
        .route("/admin/events", get(events::journal))
        .route("/admin/events/{id}", get(events::show))
        .route("/admin/events/{id}/replay", post(events::replay))
        .route("/admin/money", get(money::show))
        .route("/admin/health", get(health::show))
        .route("/admin/reconcile", post(health::reconcile))
        .route("/admin/audit", get(audit))
        .route("/admin/console.css", get(stylesheet));
    layered(router)
}

/// The console's downloads, mounted outside the request deadline: the accountant's export of a
/// year renders every facture never downloaded before, which may take longer than a page may.
pub fn downloads() -> Router<AppState> {
    layered(Router::new().route("/admin/money/export", get(export::download)))
}

/// What every answer of the console gets: its storage failures logged, nothing kept by a
/// browser or a proxy, and the pages' security headers (an error page of a download too).
fn layered(router: Router<AppState>) -> Router<AppState> {
    let router = router.layer(axum::middleware::from_fn(log_failures)).layer(
        SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ),
    );
    crate::routes::pages::html_headers(
        router,
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
}

/// Logs what went wrong on the console's side (storage), once, with the request's path.
async fn log_failures(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    if let Some(e) = response.extensions().get::<std::sync::Arc<ConsoleError>>() {
        if let ConsoleError::Db(cause) = e.as_ref() {
            tracing::error!(%path, error = %cause, "console: storage failed");
        }
    }
    response
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/console.css"),
    )
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/console.js"),
    )
}

/// « 7 décembre 2026 à 08 h 15 UTC »: the console's instants, in the logs' time zone.
pub fn when(ts: i64) -> String {
    let minutes = ts.rem_euclid(86_400) / 60;
    format!(
        "{} à {:02} h {:02} UTC",
        fr::date(ts),
        minutes / 60,
        minutes % 60
    )
}

pub struct AuditView {
    pub at: String,
    pub line: AuditLine,
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_instant_reads_in_french_with_its_time_in_utc() {
        assert_eq!(super::when(1_796_630_100), "7 décembre 2026 à 07 h 55 UTC");
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    me: SignedIn,
    section: &'static str,
    lines: Vec<AuditView>,
}

async fn audit(State(state): State<AppState>, me: SignedIn) -> Result<Response, ConsoleError> {
    let lines = state
        .db
        .audit_lines(200)
        .await?
        .into_iter()
        .map(|line| AuditView {
            at: when(line.at),
            line,
        })
        .collect();
    Ok(page(
        AuditPage {
            me,
            section: "audit",
            lines,
        },
        StatusCode::OK,
    ))
}
