//! `/payment-success?session_id=…`: the page Stripe sends the payer back to. It shows this
//! payment's own result (never the company's current status: anyone may hold the URL), and
//! applies a paid session at once when its webhook is late. It is public, so it only looks up
//! sessions this relay created, of its own Stripe mode, and within a rate that leaves Stripe's
//! limit to the companies' checkouts.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use erp_btp_protocol::StripeMode;
use serde::Deserialize;

use crate::domain::PaymentResult;
use crate::domain::{SessionId, SessionState};
use crate::error::AppError;
use crate::fulfil::Work;
use crate::limits::Recent;
use crate::routes::pages::page;
use crate::state::AppState;
use crate::stripe::StripeFailure;

#[derive(Template)]
#[template(path = "success.html")]
struct SuccessPage {
    result: PaymentResult,
    plan: String,
    days: i64,
    recurring: bool,
    every: &'static str,
}

#[derive(Deserialize)]
pub struct SuccessQuery {
    session_id: Option<String>,
}

/// A session id of this relay's Stripe mode: `cs_test_…` for test keys, `cs_live_…` for live.
fn session_of_mode(text: &str, mode: StripeMode) -> Option<SessionId> {
    let prefix = match mode {
        StripeMode::Test => "cs_test_",
        StripeMode::Live => "cs_live_",
    };
    SessionId::parse(text).filter(|id| id.as_str().starts_with(prefix) && id.as_str().len() <= 200)
}

pub async fn success(State(state): State<AppState>, Query(q): Query<SuccessQuery>) -> Response {
    let id = q
        .session_id
        .as_deref()
        .and_then(|text| session_of_mode(text, state.stripe_settings.mode));
    let (result, plan_id, recurring) = match id {
        None => (PaymentResult::Unknown, String::new(), false),
        Some(id) => payment_result(&state, &id).await.unwrap_or_else(|e| {
            let error = crate::error::chain(&e);
            tracing::error!(error, session = %id, "success page could not check the session");
            (PaymentResult::Unverified, String::new(), false)
        }),
    };
    let plan = state.plans.get(&plan_id);
    let status = match result {
        PaymentResult::Unknown => StatusCode::NOT_FOUND,
        PaymentResult::Unverified => StatusCode::BAD_GATEWAY,
        PaymentResult::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    let mut response = page(
        SuccessPage {
            result,
            plan: plan.map(|p| p.name.clone()).unwrap_or(plan_id),
            days: plan.map_or(0, |p| p.duration_days),
            recurring,
            every: match plan.and_then(|p| p.interval) {
                Some(erp_btp_protocol::Interval::Year) => "chaque année",
                _ => "chaque mois",
            },
        },
        status,
    );
    if result == PaymentResult::Busy {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    }
    response
}

/// Our record first: a session this relay never created is unknown without asking Stripe, and
/// a fulfilled one is answered from the record. Otherwise Stripe is asked (within the budget)
/// and a paid session applied through the one fulfilment path.
async fn payment_result(
    state: &AppState,
    id: &SessionId,
) -> Result<(PaymentResult, String, bool), AppError> {
    let Some(stored) = state.db.stored_session(id).await? else {
        return Ok((PaymentResult::Unknown, String::new(), false));
    };
    if stored.state == SessionState::Fulfilled {
        return Ok((
            PaymentResult::Applied,
            stored.plan.to_string(),
            stored.recurring,
        ));
    }
    // Each session has its own budget first, so that one page polled in a loop (or by a
    // script) cannot spend the shared one that every payer's page draws on.
    match state.session_lookups.check(id.as_str()) {
        Recent::Ask => {}
        Recent::Answered(result) => return Ok((result, stored.plan.to_string(), stored.recurring)),
        Recent::Spent => {
            return Ok((
                PaymentResult::Busy,
                stored.plan.to_string(),
                stored.recurring,
            ));
        }
    }
    if !state.success_lookups.take() {
        return Ok((
            PaymentResult::Busy,
            stored.plan.to_string(),
            stored.recurring,
        ));
    }
    let facts = match state.stripe.retrieve_session(id).await {
        Err(StripeFailure::NotFound) => return Ok((PaymentResult::Unknown, String::new(), false)),
        other => other?,
    };
    let subscription = match facts.subscription.as_deref().filter(|id| !id.is_empty()) {
        Some(id) => crate::fulfil::fetch_subscription(&state.billing, id).await?,
        None => None,
    };
    let outcome = state
        .writer
        .submit(Work::Lookup {
            session: facts,
            subscription,
        })
        .await?;
    let result = match outcome.session_state() {
        Some(SessionState::Fulfilled) => PaymentResult::Applied,
        Some(SessionState::Pending) => PaymentResult::Pending,
        Some(SessionState::Failed) => PaymentResult::Failed,
        Some(SessionState::Rejected) => PaymentResult::Rejected,
        _ => PaymentResult::Unfinished,
    };
    state.session_lookups.answered(id.as_str(), result);
    Ok((result, stored.plan.to_string(), stored.recurring))
}
