//! Statements over a whole batch of the writer, each run inside the batch's transaction: the
//! paid sessions claimed, the subscriptions extended, the events journalled. Each takes the
//! batch's rows as one JSON array in a text that never changes, so that it is prepared once per
//! connection whatever the batch's size (`WHERE true` lets SQLite parse `ON CONFLICT` after a
//! `SELECT`); raw events are bound instead (see [`insert_events`]). PostgreSQL reads the array
//! into typed columns in one pass (`json_to_recordset`): `jsonb` and one `->>` per field took
//! 3–16 % more of the server's time per statement (pg_stat_statements, under load).

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::Backend;
use crate::domain::{ClientId, PaymentOrigin, SessionFacts, SessionId};

/// How the writer's transaction begins on PostgreSQL, in one round trip.
/// - It holds the facture numbers' lock until it ends, so that instances take turns and each
///   facture insert reads the last number after the other's commit (a statement sees what was
///   committed before it began). SQLite has one writer already.
/// - It plans joins as index look-ups. Each join of a batch is a few dozen rows of JSON against
///   a table keyed on them, but PostgreSQL estimates a set-returning function at 100 rows and
///   then prefers hashing the whole table, every company's row, up to tens of thousands of
///   companies: for 32 of 1,000 companies the extension and the factures took 0.05–0.17 ms and
///   0.13–0.16 ms more each (`EXPLAIN ANALYZE`, medians of 35).
pub const BEGIN_POSTGRES: &str = "BEGIN; SELECT pg_advisory_xact_lock(2026000001);
    SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off";

/// A verified event to journal with what it did.
pub struct EventRow<'a> {
    pub id: &'a str,
    pub event_type: &'a str,
    pub session: Option<&'a SessionId>,
    pub payload: &'a str,
    pub outcome: String,
    pub origin: PaymentOrigin,
}

// Only a session the relay stored when it created it, for the company and plan stored then:
// an unknown one, or one whose metadata disagrees, is left alone (the caller rejects it).
const CLAIM_PAID_SQLITE: &str = "UPDATE checkout_sessions SET state = 'fulfilled', reason = NULL,
        updated_at = $1
    FROM json_each($2) AS j
    WHERE checkout_sessions.session_id = j.value ->> 'id'
        AND checkout_sessions.client_id = j.value ->> 'client'
        AND checkout_sessions.plan = j.value ->> 'plan'
        AND checkout_sessions.state IN ('open', 'pending')
    RETURNING checkout_sessions.session_id";
const CLAIM_PAID_POSTGRES: &str = "UPDATE checkout_sessions AS s SET state = 'fulfilled',
        reason = NULL, updated_at = $1
    FROM json_to_recordset($2::json) AS j(id text, client text, plan text)
    WHERE s.session_id = j.id AND s.client_id = j.client AND s.plan = j.plan
        AND s.state IN ('open', 'pending')
    RETURNING s.session_id";

/// Journals a batch of events in one statement; returns the ids that were new. An id already
/// stored (or twice in the batch) is a duplicate delivery, whose effect was a no-op: every
/// transition is guarded by state. Every value is bound, in a text made for the batch's size:
/// the raw events (2 KB and more each) then reach the database as they are, where carrying them
/// in a JSON array escaped them in the relay and parsed them again in the database (on
/// PostgreSQL that took a third of a batch's time). The texts of the sizes seen stay prepared in
/// each connection's statement cache.
pub async fn insert_events(
    conn: &mut AnyConnection,
    rows: &[EventRow<'_>],
    now: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    if rows.is_empty() {
        return Ok(HashSet::new());
    }
    let values: Vec<String> = super::placeholder_rows(rows.len(), 6, 2)
        .iter()
        .map(|p| format!("({p}, $1)"))
        .collect();
    let sql = format!(
        "INSERT INTO stripe_events (event_id, event_type, session_id, outcome, payload, origin, received_at)
         VALUES {} ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now);
    for row in rows {
        query = query
            .bind(row.id)
            .bind(row.event_type)
            .bind(row.session.map(SessionId::as_str))
            .bind(row.outcome.as_str())
            .bind(row.payload)
            .bind(row.origin.as_str());
    }
    let inserted = query.fetch_all(&mut *conn).await?;
    Ok(inserted.iter().map(|r| r.get::<String, _>(0)).collect())
}

/// Claims many paid sessions for fulfilment in one statement (ids must be distinct); returns the
/// ids this call moved to `fulfilled`: sessions this relay created, for the same company and
/// plan, still `open` or `pending`.
pub async fn claim_for_fulfilment(
    conn: &mut AnyConnection,
    sessions: &[&SessionFacts],
    now: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    if sessions.is_empty() {
        return Ok(HashSet::new());
    }
    #[derive(serde::Serialize)]
    struct Row<'a> {
        id: &'a str,
        client: &'a str,
        plan: &'a str,
    }
    let rows: Vec<Row> = sessions
        .iter()
        .map(|f| Row {
            id: f.id.as_str(),
            client: f.client_id.as_deref().unwrap_or(""),
            plan: f.plan.as_deref().unwrap_or(""),
        })
        .collect();
    let sql = match Backend::of(conn) {
        Backend::Postgres => CLAIM_PAID_POSTGRES,
        Backend::Sqlite => CLAIM_PAID_SQLITE,
    };
    let query = sqlx::query(sql).bind(now).bind(json_array(&rows));
    let claimed = query.fetch_all(&mut *conn).await?;
    Ok(claimed.iter().map(|r| r.get::<String, _>(0)).collect())
}

/// One payment's extension of its company's subscription.
pub struct Extension<'a> {
    pub client: &'a ClientId,
    pub plan: &'a str,
    pub duration_days: i64,
}

/// The renewal rule `new_expiry = max(now, current_expiry) + duration`, the current expiry being
/// the later of prepaid time and a period paid by a subscription that has stopped renewing (an
/// early renewal adds to the current expiry, an expired one restarts from now), computed by the
/// database in the statement that writes it so that concurrent instances always extend the
/// latest value. The extensions travel as one JSON array in a statement of fixed text ($2).
const EXTEND_SQLITE: &str = "UPDATE subscriptions
    SET plan = j.value ->> 'plan', version = version + 1, updated_at = $1,
        expires_at = CASE
            WHEN paid_until IS NOT NULL AND paid_until > $1 AND (expires_at IS NULL OR paid_until > expires_at) THEN paid_until
            WHEN expires_at IS NOT NULL AND expires_at > $1 THEN expires_at
            ELSE $1 END + (j.value ->> 'secs')
    FROM json_each($2) AS j WHERE subscriptions.client_id = j.value ->> 'client'
    RETURNING client_id, expires_at, version";
const EXTEND_POSTGRES: &str = "UPDATE subscriptions s
    SET plan = j.plan, version = s.version + 1, updated_at = $1,
        expires_at = CASE
            WHEN s.paid_until IS NOT NULL AND s.paid_until > $1 AND (s.expires_at IS NULL OR s.paid_until > s.expires_at) THEN s.paid_until
            WHEN s.expires_at IS NOT NULL AND s.expires_at > $1 THEN s.expires_at
            ELSE $1 END + j.secs
    FROM json_to_recordset($2::json) AS j(client text, plan text, secs bigint)
    WHERE s.client_id = j.client
    RETURNING s.client_id, s.expires_at, s.version";

/// Extends each company's subscription by its payment, in order, in as few statements as a
/// company's payments in this batch (one, unless a company paid twice): the k-th payment of a
/// company goes in the k-th statement, so it extends what the one before left. Returns each
/// payment's new expiry and version, `None` when its company does not exist.
pub async fn extend_subscriptions(
    conn: &mut AnyConnection,
    extensions: &[Extension<'_>],
    now: i64,
) -> Result<Vec<Option<(i64, i64)>>, sqlx::Error> {
    let mut rounds: Vec<Vec<usize>> = Vec::new();
    let mut paid_before: HashMap<&str, usize> = HashMap::new();
    for (i, e) in extensions.iter().enumerate() {
        let k = paid_before.entry(e.client.as_str()).or_default();
        if rounds.len() == *k {
            rounds.push(Vec::new());
        }
        rounds[*k].push(i);
        *k += 1;
    }
    let sql = match Backend::of(conn) {
        Backend::Postgres => EXTEND_POSTGRES,
        Backend::Sqlite => EXTEND_SQLITE,
    };
    #[derive(serde::Serialize)]
    struct Row<'a> {
        client: &'a str,
        plan: &'a str,
        secs: i64,
    }
    let mut results = vec![None; extensions.len()];
    for round in rounds {
        let rows: Vec<Row> = round
            .iter()
            .map(|&i| Row {
                client: extensions[i].client.as_str(),
                plan: extensions[i].plan,
                secs: extensions[i].duration_days * 86_400,
            })
            .collect();
        let returned = sqlx::query(sql)
            .bind(now)
            .bind(json_array(&rows))
            .fetch_all(&mut *conn)
            .await?;
        let extended: HashMap<String, (i64, i64)> = returned
            .iter()
            .map(|r| (r.get(0), (r.get(1), r.get(2))))
            .collect();
        for i in round {
            results[i] = extended.get(extensions[i].client.as_str()).copied();
        }
    }
    Ok(results)
}

/// A batch's rows as the JSON array its statement of fixed text reads.
pub(super) fn json_array<T: serde::Serialize>(rows: &[T]) -> String {
    serde_json::to_string(rows).expect("rows of plain strings and numbers")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;

    fn ext<'a>(client: &'a ClientId, plan: &'a str, duration_days: i64) -> Extension<'a> {
        Extension {
            client,
            plan,
            duration_days,
        }
    }

    #[tokio::test]
    async fn renewal_adds_to_a_running_subscription_and_restarts_an_expired_one() {
        let path = std::env::temp_dir().join(format!("renewal_rule_{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        let (client, other) = (
            ClientId::parse("39").unwrap(),
            ClientId::parse("41").unwrap(),
        );
        db.add_client(&client, "X").await.unwrap();
        db.add_client(&other, "Y").await.unwrap();
        let (now, day) = (1_771_666_200, 86_400);
        let mut conn = db.pool.acquire().await.unwrap();
        let first = extend_subscriptions(&mut conn, &[ext(&client, "mensuel", 30)], now)
            .await
            .unwrap();
        assert_eq!(
            first,
            [Some((now + 30 * day, 1))],
            "a first payment starts now"
        );
        let early = extend_subscriptions(&mut conn, &[ext(&client, "annuel", 365)], now + 10 * day)
            .await
            .unwrap();
        assert_eq!(
            early,
            [Some((now + 395 * day, 2))],
            "an early renewal adds to the current expiry"
        );
        let unknown = ClientId::parse("40").unwrap();
        let batch = [
            ext(&client, "mensuel", 30),
            ext(&unknown, "mensuel", 30),
            ext(&other, "annuel", 365),
            ext(&client, "mensuel", 30),
        ];
        let late = extend_subscriptions(&mut conn, &batch, now + 400 * day)
            .await
            .unwrap();
        assert_eq!(
            late,
            [
                Some((now + 430 * day, 3)),
                None,
                Some((now + 765 * day, 1)),
                Some((now + 460 * day, 4)),
            ],
            "an expired subscription restarts from now; a second payment in the batch adds to the first; an unknown company is none"
        );
        drop(conn);
        db.pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
