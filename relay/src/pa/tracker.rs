//! What the platform says back. Each tick: the acknowledgement of every flow still `Pending`
//! (an `Error` one fails the message and is logged in French; `AlreadyExistingFlow` means an
//! earlier attempt got through, whose flow is adopted), then the lifecycle flows received since
//! the stored cursor (`POST /v1/flows/search`, paged by `updatedAt`), each CDAR read for its
//! document and status and kept once. A 213 Rejetée or 210 Refusée is logged as an error in
//! French naming the document and the reason, and counted.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::cdar::{self, Received};
use super::client::PaClient;
use super::message;
use crate::core::numbering::{Series, parse_number};
use crate::db::transmissions::Key;
use crate::state::{AppState, stopping};

const EPOCH: &str = "1970-01-01T00:00:00.000Z";

pub async fn run(state: AppState, client: Arc<PaClient>, every: Duration) {
    let mut stop = state.shutdown.clone();
    let mut pace = super::Pace::new(&state);
    let mut skipped = 0;
    loop {
        // Under load, one read in twenty ticks (ten seconds at the relay's pace).
        if !pace.loaded() || skipped >= 20 {
            skipped = 0;
            if let Err(e) = tick(&state, &client).await {
                tracing::warn!(error = %e, "transmission: platform statuses not read this time");
            }
        } else {
            skipped += 1;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stopping(&mut stop) => return,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TrackError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Pa(#[from] super::client::PaError),
}

pub async fn tick(state: &AppState, client: &PaClient) -> Result<(), TrackError> {
    addresses(state, client).await?;
    acknowledgements(state, client).await?;
    lifecycle(state, client).await
}

/// Each new SIREN's electronic address from the Directory: the line addressed by the SIREN
/// alone when there is one, else the first (a SIREN with a suffix); none, the SIREN stands.
async fn addresses(state: &AppState, client: &PaClient) -> Result<(), TrackError> {
    for (id, siren) in state.db.companies_to_address(20).await? {
        let lines = client.directory_lines(&siren).await?;
        let address = lines
            .iter()
            .find(|l| **l == siren)
            .or(lines.first())
            .cloned();
        if lines.is_empty() {
            tracing::warn!(client = %id, "SIREN {siren} absent de l'annuaire de la plateforme agréée : ses factures seront adressées à son SIREN");
        }
        let now = state.clock.now();
        state
            .db
            .set_addressing(&id, &siren, address.as_deref(), now)
            .await?;
    }
    Ok(())
}

async fn acknowledgements(state: &AppState, client: &PaClient) -> Result<(), TrackError> {
    for (key, flow_id) in state.db.pa_pending_acks(50).await? {
        let meta = client.metadata(&flow_id).await?;
        let Some(ack) = meta.acknowledgement else {
            continue;
        };
        let tracking = message::tracking_id(key);
        match ack.status.as_str() {
            "Ok" => state.db.pa_ack(key, "Ok", "").await?,
            "Error" if ack.has_reason("AlreadyExistingFlow") => {
                adopt(state, client, key, &tracking).await?
            }
            "Error" => {
                state.metrics.pa.observe_refused();
                let detail = ack.summary();
                tracing::error!(document = %tracking, "la plateforme agréée a refusé {tracking} : {detail}");
                state.db.pa_ack(key, "Error", &detail).await?;
            }
            _ => {}
        }
    }
    Ok(())
}

/// The platform already holds this message from an earlier attempt: keep that flow.
async fn adopt(
    state: &AppState,
    client: &PaClient,
    key: Key,
    tracking: &str,
) -> Result<(), TrackError> {
    let found = client
        .search(json!({"trackingId": tracking, "flowDirection": ["Out"], "ackStatus": "Ok"}))
        .await?;
    match found
        .into_iter()
        .find(|f| f.tracking_id.as_deref() == Some(tracking))
    {
        Some(flow) => {
            let now = state.clock.timestamp();
            state.db.pa_sent(key, &flow.flow_id, now).await?;
            state.db.pa_ack(key, "Ok", "").await?;
            tracing::info!(document = %tracking, flow_id = %flow.flow_id, "transmission: duplicate answered with the earlier flow, adopted");
        }
        None => state.db.pa_ack(key, "Error", "AlreadyExistingFlow").await?,
    }
    Ok(())
}

async fn lifecycle(state: &AppState, client: &PaClient) -> Result<(), TrackError> {
    let mut cursor = state.db.pa_cursor().await?.unwrap_or_else(|| EPOCH.into());
    loop {
        let filters = json!({
            "updatedAfter": cursor,
            "flowDirection": ["In"],
            "flowType": ["CustomerInvoiceLC"],
        });
        let flows = client.search(filters).await?;
        let full = flows.len() >= 100;
        for flow in &flows {
            let cdar = client.original(&flow.flow_id).await?;
            match cdar::received(&cdar) {
                Some(status) => {
                    keep(state, &flow.flow_id, flow.updated_at.as_deref(), status).await?
                }
                None => {
                    tracing::warn!(flow_id = %flow.flow_id, "transmission: unreadable lifecycle flow skipped")
                }
            }
            if let Some(at) = &flow.updated_at
                && at.as_str() > cursor.as_str()
            {
                cursor = at.clone();
            }
        }
        if !flows.is_empty() {
            state.db.pa_set_cursor(&cursor).await?;
        }
        if !full {
            return Ok(());
        }
    }
}

async fn keep(
    state: &AppState,
    flow_id: &str,
    updated_at: Option<&str>,
    s: Received,
) -> Result<(), TrackError> {
    let Some((series, key)) = [Series::Facture, Series::Avoir]
        .into_iter()
        .find_map(|series| parse_number(series, &s.number).map(|k| (series, k)))
    else {
        tracing::warn!(flow_id, number = %s.number, "transmission: status for a document this relay did not issue");
        return Ok(());
    };
    let at = updated_at
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
        .unwrap_or_else(|| state.clock.now());
    let doc = key.0 * 1_000_000 + key.1;
    let new = state
        .db
        .pa_status(
            flow_id,
            (series, doc),
            (s.code, s.reason_code.as_deref(), s.reason.as_deref()),
            at,
        )
        .await?;
    if !new {
        return Ok(());
    }
    let label = cdar::label(s.code);
    let reason = s
        .reason
        .as_deref()
        .or(s.reason_code.as_deref())
        .unwrap_or("motif non précisé");
    match s.code {
        213 | 210 => {
            state.metrics.pa.observe_problem(s.code);
            tracing::error!(
                document = %s.number,
                status = s.code,
                "document {} {} par la plateforme agréée ({}) : {reason} — voir relay pa list --problems",
                s.number,
                if s.code == 213 { "rejeté" } else { "refusé par l'acheteur" },
                label,
            );
        }
        _ => {
            tracing::info!(document = %s.number, status = s.code, "transmission: document status {} {label}", s.code)
        }
    }
    Ok(())
}
