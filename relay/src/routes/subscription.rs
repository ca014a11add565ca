//! What the desktop app reads: the client's subscription with a signed entitlement (optionally
//! held as a long poll until the version moves), the entitlement public key, and renew links.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use chrono::{DateTime, SecondsFormat, Utc};
use erp_btp_protocol::{
    ENTITLEMENT_TYP, EntitlementPayload, MoneyBack, MoneyBackKind, PublicKeyResponse,
    RenewLinkResponse, RenewalStatus, SubscriptionStatus,
};
use serde::Deserialize;

use crate::auth::{BearerClient, BearerSubscription};
use crate::core::money_news::NewsKind;
use crate::core::status::{Projection, project};
use crate::db::subscriptions::SubscriptionRow;
use crate::domain::{ClientId, PlanId};
use crate::error::AppError;
use crate::state::AppState;

/// Longest a long poll is held, whatever `wait` asks.
pub const MAX_WAIT_SECS: u64 = 60;

#[derive(Deserialize)]
pub struct PollQuery {
    wait: Option<u64>,
    since: Option<i64>,
}

pub fn rfc3339(ts: i64) -> String {
    DateTime::<Utc>::from_timestamp(ts, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub async fn status(
    State(state): State<AppState>,
    BearerSubscription(client, row, token): BearerSubscription,
    query: Result<Query<PollQuery>, QueryRejection>,
) -> Result<Json<SubscriptionStatus>, AppError> {
    let Query(q) = query.map_err(|e| {
        AppError::BadRequest(
            "invalid_query",
            format!("Paramètres invalides : {}", e.body_text()),
        )
    })?;
    let wait = q.wait.unwrap_or(0).min(MAX_WAIT_SECS);
    let current = status_from_row(&state, &client, row);
    let Some(since) = q.since.filter(|_| wait > 0) else {
        return Ok(Json(current));
    };
    if current.version != since {
        return Ok(Json(current));
    }
    let _place = state
        .long_polls
        .enter(&crate::db::clients::hash_token(&token))
        .map_err(AppError::TooManyWaits)?;
    // Subscribe, then re-read: a commit between the first read and the subscription is not missed.
    let mut changed = state.changes.subscribe(client.as_str(), since);
    let again = read_status(&state, &client).await?;
    if again.version != since {
        return Ok(Json(again));
    }
    let mut shutdown = state.shutdown.clone();
    tokio::select! {
        woke = changed.wait_for(|(v, _)| *v != since) => {
            if let Ok(stamp) = woke {
                state.metrics.observe_wake(stamp.1.elapsed());
            }
        }
        _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
        _ = crate::state::stopping(&mut shutdown) => {}
    }
    drop(changed);
    // Read again by the token, not the client: a company revoked during the wait is refused,
    // never handed a freshly signed entitlement.
    let (client, row) = state
        .reader
        .subscription_for_token(&token)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(Json(status_from_row(&state, &client, row)))
}

pub async fn read_status(
    state: &AppState,
    client: &ClientId,
) -> Result<SubscriptionStatus, AppError> {
    let row = state
        .db
        .subscription(client)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(status_from_row(state, client, row))
}

fn status_from_row(
    state: &AppState,
    client: &ClientId,
    row: SubscriptionRow,
) -> SubscriptionStatus {
    let now = state.clock.timestamp();
    let seen = project(
        row.expires_at,
        &row.renewal,
        &state.renewal,
        row.payment_pending,
        now,
    );
    let (status, expires_at) = (seen.status, seen.expires_at.map(rfc3339));
    let renewal = renewal_status(&row, &seen);
    let payload = EntitlementPayload {
        typ: ENTITLEMENT_TYP.into(),
        key_id: state.keys.key_id.clone(),
        client_id: client.to_string(),
        plan: row.plan.as_ref().map(PlanId::to_string),
        status,
        expires_at: expires_at.clone(),
        issued_at: rfc3339(now.unix()),
        version: row.version,
        mode: Some(state.stripe_settings.mode),
        renewal: Some(renewal.clone()),
    };
    SubscriptionStatus {
        client_id: client.to_string(),
        plan: row.plan.as_ref().map(PlanId::to_string),
        status,
        expires_at,
        days_remaining: seen.days_remaining,
        version: row.version,
        entitlement: state.keys.sign_cached(payload),
        mode: Some(state.stripe_settings.mode),
        renewal: Some(renewal),
    }
}

fn renewal_status(row: &SubscriptionRow, seen: &Projection) -> RenewalStatus {
    let r = &row.renewal;
    RenewalStatus {
        mode: seen.mode,
        state: r.state,
        paid_until: r.paid_until.map(rfc3339),
        next_charge_at: seen.next_charge_at.map(rfc3339),
        cancel_at_period_end: r.cancel_at_period_end,
        payment_failed: r.payment_failed,
        card_last4: r.card_last4.clone(),
        money_back: row.money_back.map(|n| MoneyBack {
            kind: match n.kind {
                NewsKind::Refunded => MoneyBackKind::Refunded,
                NewsKind::PartiallyRefunded => MoneyBackKind::PartiallyRefunded,
                NewsKind::RefundPending => MoneyBackKind::RefundPending,
                NewsKind::Disputed => MoneyBackKind::Disputed,
                NewsKind::DisputeWon => MoneyBackKind::DisputeWon,
                NewsKind::DisputeLost => MoneyBackKind::DisputeLost,
            },
            amount_cents: n.amount,
            at: rfc3339(n.at),
        }),
    }
}

pub async fn public_key(State(state): State<AppState>) -> Json<PublicKeyResponse> {
    Json(PublicKeyResponse {
        key_id: state.keys.key_id.clone(),
        public_key: state.keys.public_key.clone(),
    })
}

pub async fn renew_link(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
) -> Json<RenewLinkResponse> {
    let token = state.keys.renew_token(&client, state.clock.timestamp());
    Json(RenewLinkResponse {
        url: state
            .settings
            .public_url(&format!("/renew-subscription?link={token}")),
    })
}
