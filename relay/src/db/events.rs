//! The events journal as the operator console reads it: every verified Stripe event with its
//! type, time, outcome and company (the one it changed, else its session's), newest first, with
//! filters; one event's raw body on demand.

use sqlx::Row;

use super::Db;
use crate::core::journal::OutcomeClass;

/// The journal's filters (the SQL of [`OutcomeClass::of`] for the outcome); `None` lists every event.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    pub outcome: Option<OutcomeClass>,
    pub event_type: Option<String>,
    pub client: Option<String>,
}

// `OutcomeClass::of` in SQL, over the journal's `outcome` (no other table joined has one).
const REJECTED: &str = "outcome LIKE 'rejected%'";
const IGNORED: &str = "(outcome LIKE 'ignored%' OR outcome = 'duplicate'
    OR (outcome LIKE 'already %' AND outcome <> 'already fulfilled'))";
const APPLIED: &str =
    "NOT (outcome LIKE 'rejected%' OR outcome LIKE 'ignored%' OR outcome = 'duplicate'
    OR (outcome LIKE 'already %' AND outcome <> 'already fulfilled'))";

/// How many of the latest events the health page counts on SQLite (a day's worth and more for
/// a relay of thousands of companies), so that it never reads the whole journal there.
pub const RECENT: i64 = 10_000;

#[derive(Debug, Clone)]
pub struct EventLine {
    pub id: String,
    pub event_type: String,
    pub received_at: i64,
    pub outcome: String,
    pub client: Option<String>,
}

/// The event's company: the one it changed, else its checkout session's.
const SELECT: &str = "SELECT e.event_id, e.event_type, e.received_at, e.outcome,
        COALESCE(e.client_id, k.client_id) AS client
    FROM stripe_events e LEFT JOIN checkout_sessions k ON k.session_id = e.session_id";

fn line(r: &sqlx::any::AnyRow) -> Result<EventLine, sqlx::Error> {
    Ok(EventLine {
        id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        received_at: r.try_get("received_at")?,
        outcome: r.try_get("outcome")?,
        client: r.try_get("client")?,
    })
}

impl Db {
    /// Up to `limit` events matching `filter`, newest first, after skipping `offset`.
    pub async fn console_events(
        &self,
        filter: &EventFilter,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<EventLine>, sqlx::Error> {
        let mut conditions: Vec<String> = Vec::new();
        if let Some(outcome) = filter.outcome {
            conditions.push(
                match outcome {
                    OutcomeClass::Rejected => REJECTED,
                    OutcomeClass::Ignored => IGNORED,
                    OutcomeClass::Applied => APPLIED,
                }
                .to_owned(),
            );
        }
        // Each value given is bound in order after LIMIT ($1) and OFFSET ($2).
        let mut values = Vec::new();
        if let Some(t) = &filter.event_type {
            values.push(t.as_str());
            conditions.push(format!("e.event_type = ${}", values.len() + 2));
        }
        if let Some(c) = &filter.client {
            values.push(c.as_str());
            let n = values.len() + 2;
            // Either arm can use an index: the event's own company, or its session's.
            conditions.push(format!("(e.client_id = ${n} OR k.client_id = ${n})"));
        }
        let filter_sql = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let order = self.newest_first("e.");
        let sql = format!("{SELECT} {filter_sql} ORDER BY {order} LIMIT $1 OFFSET $2");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(limit)
            .bind(offset);
        for v in values {
            query = query.bind(v);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(line).collect()
    }

    /// One event with its raw body as Stripe signed it.
    pub async fn console_event(
        &self,
        id: &str,
    ) -> Result<Option<(EventLine, String)>, sqlx::Error> {
        let sql = format!("{SELECT} WHERE e.event_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let payload = sqlx::query("SELECT payload FROM stripe_events WHERE event_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match (row, payload) {
            (Some(row), Some(payload)) => Ok(Some((line(&row)?, payload.try_get("payload")?))),
            _ => Ok(None),
        }
    }

    /// Takes a rejected event out of the journal before it is replayed, if it still has the
    /// outcome the operator saw (two operators replaying at once: the second takes nothing),
    /// and opens again the checkout session its rejection closed, so that the rules may apply
    /// it this time.
    pub async fn unjournal(&self, id: &str, outcome: &str, now: i64) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE checkout_sessions SET state = 'open', reason = NULL, updated_at = $2
             WHERE state = 'rejected'
               AND session_id = (SELECT session_id FROM stripe_events WHERE event_id = $1)",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let done = sqlx::query("DELETE FROM stripe_events WHERE event_id = $1 AND outcome = $2")
            .bind(id)
            .bind(outcome)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The distinct event types journalled, for the journal's filter.
    pub async fn event_types(&self) -> Result<Vec<String>, sqlx::Error> {
        let rows = sqlx::query("SELECT DISTINCT event_type FROM stripe_events ORDER BY event_type")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.try_get(0)).collect()
    }

    /// The journal's newest-first order (no index on the journal, see migration 0021): SQLite
    /// walks its rows backwards in insertion order and stops at the limit; PostgreSQL sorts the
    /// narrow rows (the bodies stay in TOAST) keeping the top.
    fn newest_first(&self, alias: &str) -> String {
        match self.backend {
            super::Backend::Sqlite => format!("{alias}rowid DESC"),
            super::Backend::Postgres => format!("{alias}received_at DESC, {alias}event_id DESC"),
        }
    }

    /// The rows the health page counts: on SQLite the latest [`RECENT`] (walked backwards in
    /// insertion order, so the rest of a large journal is never read); on PostgreSQL the whole
    /// journal, scanned once without sorting it (sorting 100,000 rows to keep 10,000 cost more
    /// than the scan).
    fn counted(&self) -> String {
        match self.backend {
            super::Backend::Sqlite => format!(
                "(SELECT received_at, outcome FROM stripe_events ORDER BY rowid DESC LIMIT {RECENT}) recent"
            ),
            super::Backend::Postgres => "stripe_events".to_owned(),
        }
    }

    /// When the last event arrived, and how many of the counted rows ([`Self::counted`]) arrived
    /// since `since`, by outcome class (applied, rejected, ignored).
    pub async fn events_since(&self, since: i64) -> Result<(Option<i64>, [i64; 3]), sqlx::Error> {
        let sql = format!(
            "SELECT MAX(received_at) AS last,
                COUNT(*) FILTER (WHERE received_at >= $1 AND {APPLIED}) AS applied,
                COUNT(*) FILTER (WHERE received_at >= $1 AND {REJECTED}) AS rejected,
                COUNT(*) FILTER (WHERE received_at >= $1 AND {IGNORED}) AS ignored
             FROM {}",
            self.counted()
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_one(&self.pool)
            .await?;
        Ok((
            row.try_get("last")?,
            [
                row.try_get("applied")?,
                row.try_get("rejected")?,
                row.try_get("ignored")?,
            ],
        ))
    }

    /// When each of the counted rows ([`Self::counted`]) that arrived since `since` arrived.
    pub async fn received_since(&self, since: i64) -> Result<Vec<i64>, sqlx::Error> {
        let sql = format!(
            "SELECT received_at FROM {} WHERE received_at >= $1",
            self.counted()
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| r.try_get(0)).collect()
    }
}
