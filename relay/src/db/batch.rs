//! Statements over a whole batch of the writer, each run inside the batch's transaction: the
//! paid sessions claimed, the subscriptions extended (the events journalled: [`super::journal`]).
//! Each takes the batch's rows as one JSON array in a text that never changes, so that it is
//! prepared once per connection whatever the batch's size; raw events are bound instead.
//! PostgreSQL reads the array into typed columns in one pass (`json_to_recordset`): `jsonb` and
//! one `->>` per field took 3–16 % more of the server's time per statement (pg_stat_statements,
//! under load). SQLite reads the rows with `jsonb_each`, whose objects stay in binary form for
//! each `->>`: `json_each` turned each row back into text and `->>` parsed it again, for every
//! field (14 % of the writer's SQLite thread under load, 6 % with `jsonb_each`: `perf`,
//! BENCHMARKS.md).

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::Backend;
use super::json_rows::{first_json, from_json, json_array};
use crate::core::DAY;
use crate::core::Timestamp;
use crate::core::access::{Access, Payment};
use crate::domain::{ClientId, PlanId, SessionFacts};

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

/// How the writer's transaction begins on SQLite: with the write lock, so that what a batch
/// statement reads before it writes (see [`CLAIM_PAID_SQLITE`]) cannot change in between.
pub const BEGIN_SQLITE: &str = "BEGIN IMMEDIATE";

/// How a batch statement that writes many rows fails on SQLite: `OR FAIL`, which keeps the rows
/// written before the failing one, where the default (`ABORT`) undoes the statement alone and so
/// first copies every page it changes into a statement journal (7 % of the writer's SQLite
/// thread under load: `perf`, BENCHMARKS.md). The batch's transaction is rolled back whole on
/// any error anyway ([`crate::writer`]), so no statement's rows outlive a failure.
pub fn or_fail(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "OR FAIL ",
        Backend::Postgres => "",
    }
}

// Only a session the relay stored when it created it, for the company and plan stored then:
// an unknown one, or one whose metadata disagrees, is left alone (the caller rejects it).
// Both return each company's cached access with the claim, sparing the extension a statement:
// PostgreSQL joins it; SQLite reads it in a third statement of the same call, from the
// companies bound apart ($3): reading them out of the whole batch's JSON again made the claim
// 1.3× slower. SQLite answers in two rows, each a JSON array, where RETURNING gave a row per
// session and per company: sqlx hands each row from SQLite's thread to the writer's on its own
// (a channel send, often a wake-up), and those hand-overs took more of SQLite's thread than
// the statements (see BENCHMARKS.md). Its first statement lists what the UPDATE then moves:
// the writer's transaction holds the write lock ([`BEGIN_SQLITE`]), so nothing changes between
// the two.
const CLAIM_PAID_SQLITE: &str = "SELECT json_group_array(s.session_id), NULL
    FROM jsonb_each($2) AS j CROSS JOIN checkout_sessions AS s
    WHERE s.session_id = j.value ->> 'id' AND s.client_id = j.value ->> 'client'
        AND s.plan = j.value ->> 'plan' AND s.state IN ('open', 'pending');
    UPDATE OR FAIL checkout_sessions SET state = 'fulfilled', reason = NULL,
        updated_at = $1, payment_intent = j.value ->> 'intent'
    FROM jsonb_each($2) AS j
    WHERE checkout_sessions.session_id = j.value ->> 'id'
        AND checkout_sessions.client_id = j.value ->> 'client'
        AND checkout_sessions.plan = j.value ->> 'plan'
        AND checkout_sessions.state IN ('open', 'pending');
    SELECT NULL, json_group_array(json_array(client_id, expires_at, paid_until))
    FROM subscriptions WHERE client_id IN (SELECT value FROM json_each($3))";
const CLAIM_PAID_POSTGRES: &str = "UPDATE checkout_sessions AS s SET state = 'fulfilled',
        reason = NULL, updated_at = $1, payment_intent = j.intent
    FROM json_to_recordset($2::json) AS j(id text, client text, plan text, intent text)
        LEFT JOIN subscriptions AS c ON c.client_id = j.client
    WHERE s.session_id = j.id AND s.client_id = j.client AND s.plan = j.plan
        AND s.state IN ('open', 'pending')
    RETURNING s.session_id, s.client_id, c.expires_at, c.paid_until";

/// What a claim moved: the sessions, and their companies' cached access.
#[derive(Default)]
pub struct Claimed {
    pub sessions: HashSet<String>,
    pub access: KnownAccess,
}

/// Companies' access as this batch last read or wrote it, by company id.
pub type KnownAccess = HashMap<String, Access>;

/// Claims many paid sessions for fulfilment in one statement (ids must be distinct): the ids
/// this call moved to `fulfilled`, sessions this relay created, for the same company and plan,
/// still `open` or `pending`. Each claimed session keeps the PaymentIntent that paid it.
pub async fn claim_for_fulfilment(
    conn: &mut AnyConnection,
    sessions: &[&SessionFacts],
    now: Timestamp,
) -> Result<Claimed, sqlx::Error> {
    if sessions.is_empty() {
        return Ok(Claimed::default());
    }
    #[derive(serde::Serialize)]
    struct Row<'a> {
        id: &'a str,
        client: &'a str,
        plan: &'a str,
        intent: Option<&'a str>,
    }
    let rows: Vec<Row> = sessions
        .iter()
        .map(|f| Row {
            id: f.id.as_str(),
            client: f.client_id.as_deref().unwrap_or(""),
            plan: f.plan.as_deref().unwrap_or(""),
            intent: f.payment_intent.as_deref(),
        })
        .collect();
    let backend = Backend::of(conn);
    let query = match backend {
        Backend::Postgres => sqlx::query(CLAIM_PAID_POSTGRES)
            .bind(now.unix())
            .bind(json_array(&rows)),
        Backend::Sqlite => {
            let mut clients: Vec<&str> = rows.iter().map(|r| r.client).collect();
            clients.sort_unstable();
            clients.dedup();
            sqlx::query(CLAIM_PAID_SQLITE)
                .bind(now.unix())
                .bind(json_array(&rows))
                .bind(json_array(&clients))
        }
    };
    let rows = query.fetch_all(&mut *conn).await?;
    let mut claimed = Claimed::default();
    match backend {
        Backend::Postgres => {
            for r in &rows {
                claimed.sessions.insert(r.get(0));
                if let Some(client) = r.get::<Option<String>, _>(1) {
                    claimed
                        .access
                        .insert(client, cached_access(r.get(2), r.get(3)));
                }
            }
        }
        Backend::Sqlite => {
            for r in &rows {
                if let Some(sessions) = r.get::<Option<String>, _>(0) {
                    claimed
                        .sessions
                        .extend(from_json::<Vec<String>>(&sessions)?);
                }
                if let Some(companies) = r.get::<Option<String>, _>(1) {
                    let rows: Vec<(String, Option<i64>, Option<i64>)> = from_json(&companies)?;
                    for (client, prepaid, paid) in rows {
                        claimed.access.insert(client, cached_access(prepaid, paid));
                    }
                }
            }
        }
    }
    Ok(claimed)
}

/// One payment's extension of its company's subscription.
pub struct Extension<'a> {
    pub client: &'a ClientId,
    pub plan: &'a PlanId,
    pub duration_days: i64,
}

/// Each company's cached access (the fold of its payments so far) and version, for the
/// companies of a batch's payments.
const ACCESS_SQLITE: &str = "SELECT client_id, expires_at, paid_until FROM subscriptions
    WHERE client_id IN (SELECT value FROM json_each($1))";
const ACCESS_POSTGRES: &str = "SELECT client_id, expires_at, paid_until FROM subscriptions
    WHERE client_id = ANY(ARRAY(SELECT json_array_elements_text($1::json)))";

/// Each company's new access, as [`crate::core::access`] computed it, and how many payments
/// moved its version; the statement decides nothing.
/// SQLite answers in one row (see [`CLAIM_PAID_SQLITE`]).
const WRITE_ACCESS_SQLITE: &str = "UPDATE OR FAIL subscriptions
    SET plan = j.value ->> 'plan', expires_at = j.value ->> 'expires',
        version = version + (j.value ->> 'payments'), updated_at = $1
    FROM jsonb_each($2) AS j WHERE subscriptions.client_id = j.value ->> 'client';
    SELECT json_group_array(json_array(client_id, version)) FROM subscriptions
    WHERE client_id IN (SELECT value ->> 'client' FROM jsonb_each($2))";
const WRITE_ACCESS_POSTGRES: &str = "UPDATE subscriptions s
    SET plan = j.plan, expires_at = j.expires, version = s.version + j.payments, updated_at = $1
    FROM json_to_recordset($2::json) AS j(client text, plan text, expires bigint, payments bigint)
    WHERE s.client_id = j.client
    RETURNING s.client_id, s.version";

/// Extends each company's subscription by its payments, in order, by the renewal rule
/// ([`Access::then`]): the companies' cached access (as `known` holds it, else read in one
/// statement) is folded in Rust with this batch's payments and written back in one statement
/// (a company that paid twice in the batch gets both); `known` then holds what was written.
/// Returns each payment's new expiry and version, `None` when its company does not exist.
/// Writers take turns (one on SQLite, the facture lock on PostgreSQL), so the access read is
/// the latest.
pub async fn extend_subscriptions(
    conn: &mut AnyConnection,
    extensions: &[Extension<'_>],
    known: &mut KnownAccess,
    now: Timestamp,
) -> Result<Vec<Option<(i64, i64)>>, sqlx::Error> {
    if extensions.is_empty() {
        return Ok(Vec::new());
    }
    let unknown: Vec<&str> = extensions
        .iter()
        .map(|e| e.client.as_str())
        .filter(|c| !known.contains_key(*c))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let backend = Backend::of(conn);
    let (read, write) = match backend {
        Backend::Postgres => (ACCESS_POSTGRES, WRITE_ACCESS_POSTGRES),
        Backend::Sqlite => (ACCESS_SQLITE, WRITE_ACCESS_SQLITE),
    };
    if !unknown.is_empty() {
        let rows = sqlx::query(read)
            .bind(json_array(&unknown))
            .fetch_all(&mut *conn)
            .await?;
        for r in &rows {
            known.insert(r.get(0), cached_access(r.get(1), r.get(2)));
        }
    }
    let access = known;
    // Each payment's expiry and its place among its company's payments in the batch.
    let mut paid: HashMap<&str, (i64, &PlanId)> = HashMap::new();
    let steps: Vec<Option<(i64, i64)>> = extensions
        .iter()
        .map(|e| {
            let a = access.get_mut(e.client.as_str())?;
            *a = a.then(Payment::OneOff {
                paid_at: now.unix(),
                duration: e.duration_days * DAY,
            });
            let count = paid.entry(e.client.as_str()).or_insert((0, e.plan));
            *count = (count.0 + 1, e.plan);
            Some((a.prepaid_until.expect("a payment was folded in"), count.0))
        })
        .collect();
    #[derive(serde::Serialize)]
    struct Row<'a> {
        client: &'a str,
        plan: &'a str,
        expires: Option<i64>,
        payments: i64,
    }
    let rows: Vec<Row> = paid
        .iter()
        .map(|(client, (payments, plan))| Row {
            client,
            plan: plan.as_str(),
            expires: access[*client].prepaid_until,
            payments: *payments,
        })
        .collect();
    let written = sqlx::query(write)
        .bind(now.unix())
        .bind(json_array(&rows))
        .fetch_all(&mut *conn)
        .await?;
    let versions: HashMap<String, i64> = match backend {
        Backend::Postgres => written.iter().map(|r| (r.get(0), r.get(1))).collect(),
        Backend::Sqlite => first_json::<Vec<(String, i64)>>(&written)?
            .into_iter()
            .collect(),
    };
    Ok(extensions
        .iter()
        .zip(steps)
        .map(|(e, step)| {
            let (expires, k) = step?;
            let last = versions.get(e.client.as_str())?;
            Some((expires, last - paid[e.client.as_str()].0 + k))
        })
        .collect())
}

/// A company's access as its subscription row caches it.
fn cached_access(prepaid_until: Option<i64>, paid_until: Option<i64>) -> Access {
    Access {
        prepaid_until,
        paid_until,
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
mod tests;
