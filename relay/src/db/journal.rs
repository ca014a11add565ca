//! The writer's batch of events journalled in one statement, each with what it did.

use std::collections::HashSet;

use sqlx::{AnyConnection, Row};

use super::Backend;
use super::json_rows::first_json;
use crate::core::Timestamp;
use crate::domain::{PaymentOrigin, SessionId};

/// A verified event to journal with what it did.
pub struct EventRow<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub session: Option<&'a SessionId>,
    /// The company the event changed, when it changed one.
    pub client: Option<&'a str>,
    pub payload: &'a str,
    pub outcome: String,
    pub origin: PaymentOrigin,
}

/// Journals a batch of events in one call; returns the ids that were new. An id already
/// stored (or twice in the batch) is a duplicate delivery, whose effect was a no-op: every
/// transition is guarded by state. Every value is bound, in a text made for the batch's size:
/// the raw events (2 KB and more each) then reach the database as they are, where carrying them
/// in a JSON array escaped them in the relay and parsed them again in the database (on
/// PostgreSQL that took a third of a batch's time). The texts of the sizes seen stay prepared in
/// each connection's statement cache. SQLite first lists, in one row, the ids already stored
/// (the transaction holds the write lock: none can appear in between), where RETURNING gave a
/// row per event (see [`super::batch`]'s claim); the first of an id twice in the batch is the new
/// one, as with RETURNING.
pub async fn insert_events(
    conn: &mut AnyConnection,
    rows: &[EventRow<'_>],
    now: Timestamp,
) -> Result<HashSet<String>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let placeholders = super::placeholder_rows(rows.len(), 7, 2);
    let values: Vec<String> = placeholders.iter().map(|p| format!("({p}, $1)")).collect();
    let backend = Backend::of(conn);
    let insert = format!(
        "INSERT {}INTO stripe_events (event_id, event_type, session_id, client_id, outcome, payload, origin, received_at)
         VALUES {} ON CONFLICT (event_id) DO NOTHING",
        super::batch::or_fail(backend),
        values.join(", ")
    );
    let sql = match backend {
        Backend::Postgres => format!("{insert} RETURNING event_id"),
        Backend::Sqlite => {
            // Each row's first placeholder is its event id.
            let ids: Vec<&str> = placeholders
                .iter()
                .map(|p| p.split(',').next().unwrap_or_default())
                .collect();
            format!(
                "SELECT json_group_array(event_id) FROM stripe_events WHERE event_id IN ({}); {insert}",
                ids.join(", ")
            )
        }
    };
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now.unix());
    for row in rows {
        query = query
            .bind(row.id)
            .bind(row.event_type)
            .bind(row.session.map(SessionId::as_str))
            .bind(row.client)
            .bind(row.outcome.as_str())
            .bind(row.payload)
            .bind(row.origin.as_str());
    }
    let answer = query.fetch_all(&mut *conn).await?;
    match backend {
        Backend::Postgres => Ok(answer.iter().map(|r| r.get::<String, _>(0)).collect()),
        Backend::Sqlite => {
            let stored: HashSet<String> = first_json(&answer)?;
            Ok(rows
                .iter()
                .filter(|r| !stored.contains(r.id))
                .map(|r| r.id.to_owned())
                .collect())
        }
    }
}
