//! Creating a Stripe Checkout Session for the token's owner. The client always comes from the
//! token, never from the body; nothing is stored unless Stripe created the session. Automatic
//! renewal (the default) subscribes the company's own Stripe customer, created at its first
//! checkout; while its subscription is live, no second checkout of either kind is opened.

use axum::Json;
use axum::extract::State;
use erp_btp_protocol::{CheckoutRequest, CheckoutResponse, Plan, StripeMode};

use crate::auth::BearerClient;
use crate::core::eligibility::{Eligible, Refusal, eligibility};
use crate::domain::ClientId;
use crate::error::{AppError, JsonBody};
use crate::state::AppState;
use crate::stripe::{Renew, StripeFailure};

pub async fn create(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
    JsonBody(request): JsonBody<CheckoutRequest>,
) -> Result<Json<CheckoutResponse>, AppError> {
    start_checkout(&state, &client, &request).await.map(Json)
}

/// Shared by the API and the renewal page.
pub async fn start_checkout(
    state: &AppState,
    client: &ClientId,
    request: &CheckoutRequest,
) -> Result<CheckoutResponse, AppError> {
    let plan = state
        .plans
        .get(&request.plan)
        .ok_or_else(|| AppError::UnknownPlan(request.plan.chars().take(40).collect()))?;
    if request.test_clock.is_some() && state.stripe_settings.mode == StripeMode::Live {
        return Err(AppError::BadRequest(
            "test_clock_in_live_mode",
            "Les horloges de test Stripe n'existent qu'en mode test : retirez « test_clock »."
                .into(),
        ));
    }
    let row = state
        .db
        .subscription(client)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let company = state
        .db
        .company(client)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let now = state.clock.timestamp();
    let eligible = eligibility(
        request.renewal,
        plan.interval.is_some(),
        company.siren.is_some(),
        &row.renewal,
        row.expires_at,
        now,
    )
    .map_err(|refusal| {
        let message = refusal.message(&plan.id);
        match refusal {
            Refusal::SubscriptionLive | Refusal::SirenRequired => {
                AppError::Conflict(refusal.code(), message)
            }
            Refusal::PlanNotRenewable => AppError::BadRequest(refusal.code(), message),
        }
    })?;
    let success = state
        .settings
        .public_url("/payment-success?session_id={CHECKOUT_SESSION_ID}");
    let cancel = state.settings.public_url("/payment-cancelled");
    let customer;
    let renew = match (eligible, plan.interval) {
        (Eligible::Auto { first_charge_at }, Some(interval)) => {
            customer =
                company_customer(state, client, &company.name, request.test_clock.as_deref())
                    .await?;
            close_earlier_checkouts(state, client).await?;
            Some(Renew {
                customer: &customer,
                interval,
                first_charge_at,
            })
        }
        _ => None,
    };
    let (session, url) = state
        .stripe
        .create_session(client, plan, renew.as_ref(), &success, &cancel)
        .await?;
    record(state, client, plan, renew.is_some(), &session).await?;
    Ok(CheckoutResponse {
        session_id: session.to_string(),
        url,
    })
}

async fn record(
    state: &AppState,
    client: &ClientId,
    plan: &Plan,
    recurring: bool,
    session: &crate::domain::SessionId,
) -> Result<(), AppError> {
    let now = state.clock.timestamp();
    state
        .db
        .record_new_session(
            session,
            client,
            &crate::domain::PlanId::of(plan),
            plan.price_cents,
            recurring,
            state.origin,
            now,
        )
        .await?;
    tracing::info!(target: "stripe_service", "Checkout session created: {session} for client {client}, plan {}", plan.id);
    Ok(())
}

/// One subscription at a time: a subscription checkout opened earlier (another tab, another
/// admin) is expired at Stripe before a new one opens, so that two cannot both be paid. One that
/// Stripe says is no longer open may just have been paid: its webhook is on its way.
async fn close_earlier_checkouts(state: &AppState, client: &ClientId) -> Result<(), AppError> {
    for session in state.db.open_recurring_sessions(client).await? {
        if !state.stripe.expire_session(&session).await? {
            return Err(AppError::Conflict(
                "subscription_pending",
                "Un abonnement vient d'être payé pour votre entreprise : attendez quelques instants que le paiement soit confirmé.".into(),
            ));
        }
    }
    Ok(())
}

/// The company's Stripe customer: the stored one, or a new one (on `test_clock` if given).
async fn company_customer(
    state: &AppState,
    client: &ClientId,
    name: &str,
    test_clock: Option<&str>,
) -> Result<String, AppError> {
    if let Some((customer, clock)) = state.db.customer(client).await? {
        if test_clock.is_some() && clock.as_deref() != test_clock {
            return Err(AppError::BadRequest(
                "test_clock_mismatch",
                "Le client Stripe de cette entreprise existe déjà sur une autre horloge de test."
                    .into(),
            ));
        }
        return Ok(customer);
    }
    let created = match state
        .billing
        .create_customer(name, client.as_str(), test_clock)
        .await
    {
        Err(StripeFailure::NotFound | StripeFailure::Refused { status: 400, .. })
            if test_clock.is_some() =>
        {
            return Err(AppError::BadRequest(
                "unknown_test_clock",
                "Cette horloge de test n'existe pas chez Stripe (mode test) : créez-la d'abord."
                    .into(),
            ));
        }
        other => other?,
    };
    let kept = state.db.keep_customer(client, &created, test_clock).await?;
    tracing::info!(target: "stripe_service", "Stripe customer {kept} for client {client}");
    Ok(kept)
}
