//! Statements of the payment loop, each run inside the caller's transaction: the event journal,
//! Checkout Session states, and the subscription extension. A session leaves `open`/`pending`
//! at most once: the conditional upsert `… DO UPDATE … WHERE state IN (…)` is the claim,
//! serialised by the row lock on PostgreSQL and by the single writer on SQLite. Few statements
//! per payment, since each costs a round trip to the database.

use sqlx::{AnyConnection, Row};

use super::Db;
use crate::domain::{ClientId, SessionId};
use crate::stripe::SessionFacts;

/// Stores a verified event with what it did; false when its id was already stored (a duplicate
/// delivery, whose effect was then a no-op: every transition below is guarded by state).
pub async fn insert_event(
    conn: &mut AnyConnection,
    id: &str,
    event_type: &str,
    session: Option<&SessionId>,
    payload: &str,
    outcome: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO stripe_events (event_id, event_type, session_id, received_at, outcome, payload)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
    )
    .bind(id)
    .bind(event_type)
    .bind(session.map(SessionId::as_str))
    .bind(now)
    .bind(outcome)
    .bind(payload)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Moves the session to `to` if it is unknown (taken as `open`) or in one of `from` (one or two
/// states); true when this call made the move. This is the at-most-once claim.
pub async fn claim(
    conn: &mut AnyConnection,
    facts: &SessionFacts,
    from: &[&str],
    to: &str,
    reason: Option<&str>,
    expires_after: Option<i64>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    debug_assert!(from.contains(&"open"), "an unknown session counts as open");
    let (first, second) = (from[0], *from.get(1).unwrap_or(&from[0]));
    let row = sqlx::query(
        "INSERT INTO checkout_sessions
             (session_id, client_id, plan, amount_cents, currency, state, reason, expires_after, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (session_id) DO UPDATE SET state = excluded.state, reason = excluded.reason,
             expires_after = excluded.expires_after, updated_at = excluded.updated_at
         WHERE checkout_sessions.state IN ($10, $11)
         RETURNING session_id",
    )
    .bind(facts.id.as_str())
    .bind(facts.client_id.as_deref().unwrap_or(""))
    .bind(facts.plan.as_deref().unwrap_or(""))
    .bind(facts.amount_total)
    .bind(facts.currency.as_deref())
    .bind(to)
    .bind(reason)
    .bind(expires_after)
    .bind(now)
    .bind(first)
    .bind(second)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

pub async fn session_state(
    conn: &mut AnyConnection,
    session: &SessionId,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query("SELECT state FROM checkout_sessions WHERE session_id = $1")
        .bind(session.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.get(0)))
}

/// The client's current expiry and version; `None` when the client does not exist.
pub async fn read_subscription(
    conn: &mut AnyConnection,
    client: &ClientId,
) -> Result<Option<(Option<i64>, i64)>, sqlx::Error> {
    let row = sqlx::query("SELECT expires_at, version FROM subscriptions WHERE client_id = $1")
        .bind(client.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// Writes the new expiry if the version is still `version`; returns the new version, or `None`
/// when another instance changed the subscription since it was read.
pub async fn update_subscription(
    conn: &mut AnyConnection,
    client: &ClientId,
    plan: &str,
    expires_at: i64,
    version: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE subscriptions SET plan = $2, expires_at = $3, version = version + 1, updated_at = $4
         WHERE client_id = $1 AND version = $5 RETURNING version",
    )
    .bind(client.as_str())
    .bind(plan)
    .bind(expires_at)
    .bind(now)
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.get(0)))
}

/// Marks a visible change (e.g. a payment now pending) without touching the expiry.
pub async fn bump_version(
    conn: &mut AnyConnection,
    client: &str,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("UPDATE subscriptions SET version = version + 1, updated_at = $2 WHERE client_id = $1 RETURNING version")
        .bind(client)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.get(0)))
}

pub async fn set_expires_after(
    conn: &mut AnyConnection,
    session: &SessionId,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE checkout_sessions SET expires_after = $2 WHERE session_id = $1")
        .bind(session.as_str())
        .bind(expires_at)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What the relay knows of a session, for the success page.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub client_id: String,
    pub plan: String,
    pub state: String,
    pub reason: Option<String>,
    pub expires_after: Option<i64>,
}

impl Db {
    /// Records a session just created at Stripe for `client`.
    pub async fn record_new_session(
        &self,
        session: &SessionId,
        client: &ClientId,
        plan: &str,
        amount: i64,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO checkout_sessions (session_id, client_id, plan, amount_cents, currency, state, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'eur', 'open', $5, $5) ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(session.as_str())
        .bind(client.as_str())
        .bind(plan)
        .bind(amount)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn stored_session(
        &self,
        session: &SessionId,
    ) -> Result<Option<StoredSession>, sqlx::Error> {
        let row = sqlx::query("SELECT client_id, plan, state, reason, expires_after FROM checkout_sessions WHERE session_id = $1")
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| StoredSession {
            client_id: r.get(0),
            plan: r.get(1),
            state: r.get(2),
            reason: r.get(3),
            expires_after: r.get(4),
        }))
    }
}
