//! Server-rendered French pages (askama templates under `relay/templates`): pricing, renewal
//! through a short-lived link and cancellation (the payment result is in `success`).

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use erp_btp_protocol::{
    CheckoutRequest, Plan, RenewalChoice, RenewalMode, SubscriptionState, SubscriptionStatus, fr,
};
use serde::Deserialize;

use crate::domain::ClientId;
use crate::error::AppError;
use crate::plans::price_label;
use crate::routes::checkout::start_checkout;
use crate::routes::subscription::read_status;
use crate::state::AppState;

/// A plan as the pages show it.
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub price: String,
    /// « 49 € », for the pay button.
    pub amount: String,
    pub features: Vec<String>,
    pub note: Option<String>,
    /// The plan can renew automatically (it has an interval).
    pub renewable: bool,
}

fn plan_views(plans: &[Plan]) -> Vec<PlanView> {
    let monthly = plans.iter().find(|p| (28..=31).contains(&p.duration_days));
    plans
        .iter()
        .map(|p| {
            // The annual saving against twelve months of the monthly plan.
            let note = monthly
                .filter(|m| p.duration_days >= 365 && m.id != p.id)
                .map(|m| {
                    let saving = (m.price_cents * 12 - p.price_cents) / 100;
                    format!("Soit {saving}\u{a0}€ d'économie par rapport au mensuel sur un an")
                });
            PlanView {
                id: p.id.clone(),
                name: p.name.clone(),
                price: price_label(p),
                amount: fr::euros(p.price_cents),
                features: p.features.clone(),
                note,
                renewable: p.interval.is_some(),
            }
        })
        .collect()
}

/// « Renouvellement automatique le 24 décembre 2026 — carte •••• 4242 », for a company whose
/// subscription renews by itself.
fn renewal_note(status: &SubscriptionStatus) -> Option<String> {
    let r = status
        .renewal
        .as_ref()
        .filter(|r| r.mode == RenewalMode::Auto)?;
    let date = |t: &Option<String>| {
        t.as_deref()
            .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
            .map(|d| fr::date(d.timestamp()))
    };
    let until = date(&status.expires_at).unwrap_or_default();
    fr::renewal_sentence(r, date(&r.next_charge_at).as_deref(), &until).map(|(text, _)| text)
}

/// The sentence on money that went back, as the desktop app says it.
fn money_back_note(status: &SubscriptionStatus) -> Option<(String, &'static str)> {
    let m = status.renewal.as_ref()?.money_back.as_ref()?;
    let on = chrono::DateTime::parse_from_rfc3339(&m.at)
        .map(|d| fr::date(d.timestamp()))
        .unwrap_or_default();
    let (text, tone) = fr::money_back_sentence(m, &on)?;
    let class = match tone {
        fr::Tone::Ok => "ok",
        fr::Tone::Warn => "warn",
        fr::Tone::Bad => "bad",
    };
    Some((text, class))
}

pub(crate) fn page(t: impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Erreur interne").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "pricing.html")]
struct PricingPage {
    plans: Vec<PlanView>,
}

pub async fn pricing(State(state): State<AppState>) -> Response {
    page(
        PricingPage {
            plans: plan_views(state.plans.all()),
        },
        StatusCode::OK,
    )
}

#[derive(Template)]
#[template(path = "cancelled.html")]
struct CancelledPage;

pub async fn cancelled() -> Response {
    page(CancelledPage, StatusCode::OK)
}

#[derive(Template)]
#[template(path = "renew.html")]
struct RenewPage {
    link: String,
    company: String,
    /// « 732 829 320 »; none yet: the page asks for it before any plan can be chosen.
    siren: Option<String>,
    status_label: &'static str,
    status_class: &'static str,
    plan: Option<String>,
    expiry: Option<String>,
    days: i64,
    plans: Vec<PlanView>,
    renewal: Option<String>,
    /// Money that went back (« Paiement contesté auprès de votre banque : accès suspendu »),
    /// and its tone's class.
    money_back: Option<(String, &'static str)>,
    /// The subscription renews by itself: no plan to choose (a checkout would be refused).
    live: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "link_expired.html")]
struct LinkExpiredPage;

#[derive(Deserialize)]
pub struct RenewQuery {
    link: Option<String>,
}

#[derive(Template)]
#[template(path = "link_revoked.html")]
struct LinkRevokedPage;

/// The client a renew link names, if the link is genuine, fresh and its company not revoked;
/// otherwise the page that says why (403).
pub(super) async fn linked_client(state: &AppState, link: &str) -> Result<ClientId, Response> {
    let Some(client) = state.keys.check_renew_token(link, state.clock.timestamp()) else {
        return Err(page(LinkExpiredPage, StatusCode::FORBIDDEN));
    };
    match state.db.client_is_active(&client).await {
        Ok(true) => Ok(client),
        Ok(false) => Err(page(LinkRevokedPage, StatusCode::FORBIDDEN)),
        Err(e) => Err(AppError::from(e).into_response()),
    }
}

pub async fn renew(State(state): State<AppState>, Query(q): Query<RenewQuery>) -> Response {
    let link = q.link.unwrap_or_default();
    match linked_client(&state, &link).await {
        Ok(client) => renew_page(&state, &client, link, None).await,
        Err(refused) => refused,
    }
}

/// The page; after an action on it failed, with `error`'s status and French reason.
pub(super) async fn renew_page(
    state: &AppState,
    client: &ClientId,
    link: String,
    error: Option<AppError>,
) -> Response {
    let status = match read_status(state, client).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let company = match state.db.company(client).await {
        Ok(Some(c)) => c,
        Ok(None) => return AppError::Unauthorized.into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let siren = company.siren.as_deref().map(fr::siren);
    let (status_label, status_class) = match status.status {
        SubscriptionState::Active => ("Actif", "ok"),
        SubscriptionState::Expired => ("Expiré", "bad"),
        SubscriptionState::Pending => ("Paiement en cours", "warn"),
        SubscriptionState::None => ("Aucun abonnement", "bad"),
    };
    let expiry_ts = status
        .expires_at
        .as_deref()
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
        .map(|d| d.timestamp());
    let (code, error) = match error.map(|e| e.parts()) {
        Some((code, _, message)) => (code, Some(message)),
        None => (StatusCode::OK, None),
    };
    page(
        RenewPage {
            link,
            company: company.name,
            siren,
            status_label,
            status_class,
            plan: status
                .plan
                .as_deref()
                .and_then(|p| state.plans.get(p))
                .map(|p| p.name.clone()),
            expiry: expiry_ts.map(fr::date),
            days: status.days_remaining,
            plans: plan_views(state.plans.all()),
            renewal: renewal_note(&status),
            money_back: money_back_note(&status),
            live: status
                .renewal
                .as_ref()
                .is_some_and(|r| r.mode == RenewalMode::Auto),
            error,
        },
        code,
    )
}

#[derive(Deserialize)]
pub struct RenewForm {
    link: String,
    plan: String,
    renewal: Option<String>,
}

pub async fn renew_checkout(
    State(state): State<AppState>,
    Form(form): Form<RenewForm>,
) -> Response {
    let client = match linked_client(&state, &form.link).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    let request = CheckoutRequest {
        plan: form.plan.clone(),
        renewal: match form.renewal.as_deref() {
            Some("once") => RenewalChoice::Once,
            _ => RenewalChoice::Auto,
        },
        test_clock: None,
    };
    match start_checkout(&state, &client, &request).await {
        Ok(session) => Redirect::to(&session.url).into_response(),
        Err(e) => renew_page(&state, &client, form.link, Some(e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_annual_plan_shows_its_saving() {
        let views = plan_views(crate::plans::Catalogue::default().all());
        assert_eq!(views[0].note, None);
        assert_eq!(
            views[1].note.as_deref(),
            Some("Soit 89\u{a0}€ d'économie par rapport au mensuel sur un an")
        );
    }
}

/// The headers every HTML page of the relay carries: its content security policy, no framing,
/// no referrer (the public pages and the operator console).
pub(crate) fn html_headers(
    router: axum::Router<AppState>,
    csp: &'static str,
) -> axum::Router<AppState> {
    router
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static(csp),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::X_FRAME_OPTIONS,
            axum::http::HeaderValue::from_static("DENY"),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::HeaderName::from_static("referrer-policy"),
            axum::http::HeaderValue::from_static("no-referrer"),
        ))
}
