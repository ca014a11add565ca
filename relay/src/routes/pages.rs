//! Server-rendered French pages (askama templates under `relay/templates`): pricing, renewal
//! through a short-lived link, payment result and cancellation.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use erp_btp_protocol::{Plan, SubscriptionState, fr};
use serde::Deserialize;

use crate::AppState;
use crate::domain::{ClientId, SessionId, SessionState};
use crate::error::AppError;
use crate::fulfil::{Outcome, Work};
use crate::plans::price_label;
use crate::routes::checkout::start_checkout;
use crate::routes::subscription::read_status;
use crate::stripe::StripeFailure;

/// A plan as the pages show it.
pub struct PlanView {
    pub id: String,
    pub name: String,
    pub price: String,
    /// « 49 € », for the pay button.
    pub amount: String,
    pub features: Vec<String>,
    pub note: Option<String>,
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
            }
        })
        .collect()
}

fn page(t: impl Template, status: StatusCode) -> Response {
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
#[template(path = "success.html")]
struct SuccessPage {
    /// applied | pending | failed | rejected | unfinished | unknown | unverified
    kind: &'static str,
    plan: String,
    expiry: String,
}

#[derive(Deserialize)]
pub struct SuccessQuery {
    session_id: Option<String>,
}

pub async fn success(State(state): State<AppState>, Query(q): Query<SuccessQuery>) -> Response {
    let render = |kind, plan: String, expiry: Option<i64>| {
        let status = match kind {
            "unknown" => StatusCode::NOT_FOUND,
            "unverified" => StatusCode::BAD_GATEWAY,
            _ => StatusCode::OK,
        };
        page(
            SuccessPage {
                kind,
                plan,
                expiry: expiry.map(fr::date).unwrap_or_default(),
            },
            status,
        )
    };
    let Some(id) = q.session_id.as_deref().and_then(SessionId::parse) else {
        return render("unknown", String::new(), None);
    };
    match payment_result(&state, &id).await {
        Ok((kind, plan, expiry)) => render(kind, plan, expiry),
        Err(AppError::Stripe(StripeFailure::NotFound)) => render("unknown", String::new(), None),
        Err(e) => {
            tracing::error!(error = %e, session = %id, "success page could not check the session");
            render("unverified", String::new(), None)
        }
    }
}

/// The client's expiry as it stands now, this payment included.
async fn current_expiry(state: &AppState, client: &str) -> Result<Option<i64>, sqlx::Error> {
    match ClientId::parse(client) {
        Some(c) => Ok(state.db.subscription(&c).await?.and_then(|s| s.expires_at)),
        None => Ok(None),
    }
}

/// Looks the session up (our record first, then Stripe) and applies it if it is paid: the
/// result shows even when the webhook is late.
async fn payment_result(
    state: &AppState,
    id: &SessionId,
) -> Result<(&'static str, String, Option<i64>), AppError> {
    let plan_name = |plan: &str| {
        state
            .plans
            .get(plan)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| plan.to_owned())
    };
    if let Some(s) = state.db.stored_session(id).await? {
        if s.state == SessionState::Fulfilled {
            return Ok((
                "applied",
                plan_name(&s.plan),
                current_expiry(state, &s.client_id).await?,
            ));
        }
    }
    let facts = state.stripe.retrieve_session(id).await?;
    let (plan, client) = (
        plan_name(facts.plan.as_deref().unwrap_or_default()),
        facts.client_id.clone().unwrap_or_default(),
    );
    let outcome = state.writer.submit(Work::Lookup(facts)).await?;
    let kind = match (&outcome, outcome.session_state()) {
        (Outcome::Fulfilled { expires_at, .. }, _) => {
            return Ok(("applied", plan, Some(*expires_at)));
        }
        (_, Some(SessionState::Fulfilled)) => {
            return Ok(("applied", plan, current_expiry(state, &client).await?));
        }
        (_, Some(SessionState::Pending)) => "pending",
        (_, Some(SessionState::Failed)) => "failed",
        (_, Some(SessionState::Rejected)) => "rejected",
        _ => "unfinished",
    };
    Ok((kind, plan, None))
}

#[derive(Template)]
#[template(path = "renew.html")]
struct RenewPage {
    link: String,
    company: String,
    status_label: &'static str,
    status_class: &'static str,
    plan: Option<String>,
    expiry: Option<String>,
    days: i64,
    plans: Vec<PlanView>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "link_expired.html")]
struct LinkExpiredPage;

#[derive(Deserialize)]
pub struct RenewQuery {
    link: Option<String>,
}

pub async fn renew(State(state): State<AppState>, Query(q): Query<RenewQuery>) -> Response {
    let link = q.link.unwrap_or_default();
    match state.keys.check_renew_token(&link, state.clock.now()) {
        Some(client) => renew_page(&state, &client, link, None).await,
        None => page(LinkExpiredPage, StatusCode::FORBIDDEN),
    }
}

async fn renew_page(
    state: &AppState,
    client: &ClientId,
    link: String,
    error: Option<String>,
) -> Response {
    let status = match read_status(state, client).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let company = state
        .db
        .client_name(client)
        .await
        .ok()
        .flatten()
        .unwrap_or_else(|| client.to_string());
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
    let code = if error.is_some() {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::OK
    };
    page(
        RenewPage {
            link,
            company,
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
            error,
        },
        code,
    )
}

#[derive(Deserialize)]
pub struct RenewForm {
    link: String,
    plan: String,
}

pub async fn renew_checkout(
    State(state): State<AppState>,
    Form(form): Form<RenewForm>,
) -> Response {
    let Some(client) = state.keys.check_renew_token(&form.link, state.clock.now()) else {
        return page(LinkExpiredPage, StatusCode::FORBIDDEN);
    };
    match start_checkout(&state, &client, &form.plan).await {
        Ok(session) => Redirect::to(&session.url).into_response(),
        Err(e) => {
            let (_, _, message) = e.parts();
            renew_page(&state, &client, form.link, Some(message)).await
        }
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
