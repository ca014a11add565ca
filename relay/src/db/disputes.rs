//! Disputes inside the writer's transaction: a dispute's stored status, the dispute kept at its
//! new one, and the renewal to stop at Stripe after a chargeback on a renewal invoice (done
//! after the commit by [`crate::money_back::stops`]).

use sqlx::{AnyConnection, Row};

use super::Db;
use super::refunds::KnownPayment;
use crate::core::Timestamp;
use crate::money_back::facts::DisputeFacts;

/// The dispute's stored Stripe status; on PostgreSQL its row stays locked until the commit.
pub async fn status(conn: &mut AnyConnection, id: &str) -> Result<Option<String>, sqlx::Error> {
    super::locked_text(
        conn,
        "SELECT status FROM disputes WHERE dispute_id = $1",
        id,
    )
    .await
}

/// Keeps the dispute at its reported status (the caller checked that it moves forward).
pub async fn store(
    conn: &mut AnyConnection,
    d: &DisputeFacts,
    paid: &KnownPayment,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO disputes (dispute_id, payment_intent, client_id, amount_cents, currency,
             status, effect, reason, evidence_due_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         ON CONFLICT (dispute_id) DO UPDATE SET status = excluded.status,
             effect = excluded.effect, evidence_due_by = excluded.evidence_due_by,
             updated_at = excluded.updated_at",
    )
    .bind(d.id.as_str())
    .bind(d.payment_intent.as_deref().unwrap_or_default())
    .bind(paid.client.as_str())
    .bind(d.amount)
    .bind(d.currency.as_deref().unwrap_or(&paid.currency))
    .bind(d.status.as_str())
    .bind(d.effect.as_str())
    .bind(d.reason.as_deref())
    .bind(d.due_by)
    .bind(d.created)
    .bind(now.unix())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Asks for the company's renewal to stop at Stripe because of dispute `id` (once per dispute).
pub async fn stop_renewal(
    conn: &mut AnyConnection,
    id: &str,
    paid: &KnownPayment,
    subscription: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO renewal_stops (dispute_id, client_id, subscription_id, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (dispute_id) DO NOTHING",
    )
    .bind(id)
    .bind(paid.client.as_str())
    .bind(subscription)
    .bind(now.unix())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A renewal to stop at Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalStop {
    pub dispute: String,
    pub subscription: String,
}

/// Gives up on a stop after this many failed attempts (the operator is told in the log).
const MAX_ATTEMPTS: i64 = 20;

impl Db {
    /// The renewals still to stop, oldest first.
    pub async fn renewal_stops(&self) -> Result<Vec<RenewalStop>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT dispute_id, subscription_id FROM renewal_stops
             WHERE done_at IS NULL AND attempts < $1 ORDER BY created_at",
        )
        .bind(MAX_ATTEMPTS)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| RenewalStop {
                dispute: r.get(0),
                subscription: r.get(1),
            })
            .collect())
    }

    /// Records a stop's attempt: done, or why not (`Err`); whether it is given up now.
    pub async fn renewal_stop_tried(
        &self,
        dispute: &str,
        outcome: Result<(), &str>,
        now: Timestamp,
    ) -> Result<bool, sqlx::Error> {
        let (done, error) = match outcome {
            Ok(()) => (Some(now.unix()), None),
            Err(e) => (None, Some(e)),
        };
        let attempts: i64 = sqlx::query_scalar(
            "UPDATE renewal_stops SET done_at = $2, last_error = $3, attempts = attempts + 1
             WHERE dispute_id = $1 RETURNING attempts",
        )
        .bind(dispute)
        .bind(done)
        .bind(error)
        .fetch_one(&self.pool)
        .await?;
        Ok(done.is_none() && attempts >= MAX_ATTEMPTS)
    }
}
