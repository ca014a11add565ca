//! Statements of the payment loop about one session or company, each run inside the caller's
//! transaction (the ones over a whole batch are in `batch.rs`). A session leaves `open`/`pending`
//! at most once: the conditional upsert `… DO UPDATE … WHERE state IN (…)` is the claim,
//! serialised by the row lock on PostgreSQL and by the single writer on SQLite. Few statements
//! per payment, since each costs a round trip to the database.

use sqlx::{AnyConnection, Row};

use super::Db;
use crate::core::Timestamp;
use crate::domain::{
    ClientId, PaymentOrigin, PlanId, SessionFacts, SessionId, SessionState, StoredSession,
};

/// Moves the session to `to` if the relay stored it for the same company and plan and it is in
/// one of `from` (one or two states); true when this call made the move. This is the at-most-once
/// claim.
pub async fn claim(
    conn: &mut AnyConnection,
    facts: &SessionFacts,
    from: &[SessionState],
    to: SessionState,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let (first, second) = (from[0], *from.get(1).unwrap_or(&from[0]));
    let row = sqlx::query(
        "UPDATE checkout_sessions SET state = $4, reason = $5, updated_at = $6
         WHERE session_id = $1 AND client_id = $2 AND plan = $3 AND state IN ($7, $8)
         RETURNING session_id",
    )
    .bind(facts.id.as_str())
    .bind(facts.client_id.as_deref().unwrap_or(""))
    .bind(facts.plan.as_deref().unwrap_or(""))
    .bind(to.as_str())
    .bind(reason)
    .bind(now.unix())
    .bind(first.as_str())
    .bind(second.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// Sets a session's state unconditionally (to undo a claim within its transaction).
pub async fn set_state(
    conn: &mut AnyConnection,
    session: &SessionId,
    state: SessionState,
    reason: &str,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE checkout_sessions SET state = $2, reason = $3, updated_at = $4 WHERE session_id = $1")
        .bind(session.as_str())
        .bind(state.as_str())
        .bind(reason)
        .bind(now.unix())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn session_state(
    conn: &mut AnyConnection,
    session: &SessionId,
) -> Result<Option<SessionState>, sqlx::Error> {
    Ok(stored(conn, session).await?.map(|s| s.state))
}

/// The relay's record of a session, read inside the caller's transaction.
pub async fn stored(
    conn: &mut AnyConnection,
    session: &SessionId,
) -> Result<Option<StoredSession>, sqlx::Error> {
    let row = sqlx::query(STORED_SESSION)
        .bind(session.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(stored_session).transpose()
}

const STORED_SESSION: &str =
    "SELECT client_id, plan, state, recurring FROM checkout_sessions WHERE session_id = $1";

fn stored_session(r: sqlx::any::AnyRow) -> Result<StoredSession, sqlx::Error> {
    Ok(StoredSession {
        client_id: r.get(0),
        plan: PlanId::parse(&r.get::<String, _>(1))
            .ok_or_else(|| sqlx::Error::Decode("a stored session without a plan".into()))?,
        state: stored_state(r.get(2))?,
        recurring: r.get::<i64, _>(3) != 0,
    })
}

/// A state read back from the database; only the relay writes it, so anything else is corruption.
fn stored_state(text: String) -> Result<SessionState, sqlx::Error> {
    SessionState::parse(&text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown session state {text:?}").into()))
}

/// Marks a visible change (e.g. a payment now pending) without touching the expiry.
pub async fn bump_version(
    conn: &mut AnyConnection,
    client: &str,
    now: Timestamp,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("UPDATE subscriptions SET version = version + 1, updated_at = $2 WHERE client_id = $1 RETURNING version")
        .bind(client)
        .bind(now.unix())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.get(0)))
}

impl Db {
    /// Records a session just created at Stripe for `client`.
    pub async fn record_new_session(
        &self,
        session: &SessionId,
        client: &ClientId,
        plan: &PlanId,
        amount: i64,
        recurring: bool,
        origin: PaymentOrigin,
        now: Timestamp,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO checkout_sessions (session_id, client_id, plan, amount_cents, currency, state, created_at, updated_at, origin, recurring)
             VALUES ($1, $2, $3, $4, 'eur', 'open', $5, $5, $6, $7) ON CONFLICT (session_id) DO NOTHING",
        )
        .bind(session.as_str())
        .bind(client.as_str())
        .bind(plan.as_str())
        .bind(amount)
        .bind(now.unix())
        .bind(origin.as_str())
        .bind(i64::from(recurring))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sessions and events that the in-process sandbox did not make (a real Stripe's, or of
    /// unknown origin): `serve --sandbox` refuses a database that holds any.
    pub async fn rows_not_from_sandbox(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM checkout_sessions WHERE origin IS NULL OR origin <> 'sandbox')
                  + (SELECT COUNT(*) FROM stripe_events WHERE origin IS NULL OR origin <> 'sandbox')
                  + (SELECT COUNT(*) FROM invoices WHERE origin IS NULL OR origin <> 'sandbox')
                  + (SELECT COUNT(*) FROM factures WHERE origin IS NULL OR origin <> 'sandbox')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.get(0))
    }

    pub async fn stored_session(
        &self,
        session: &SessionId,
    ) -> Result<Option<StoredSession>, sqlx::Error> {
        let row = sqlx::query(STORED_SESSION)
            .bind(session.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(stored_session).transpose()
    }
}
