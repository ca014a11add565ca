//! What the operator console reads: each company with the stored results of its projection
//! (access end, renewal state), its last payment and whether a dispute is open. The console
//! derives each state from these with `core::console`, never by folding payments here. Also the
//! documents issued (revenue per month) and the open disputes.

use sqlx::Row;

use super::Db;
use crate::core::console::CompanyFacts;
use crate::core::revenue::Issued;

#[derive(Debug, Clone)]
pub struct CompanyRow {
    pub id: String,
    pub name: String,
    pub siren: Option<String>,
    pub revoked_at: Option<i64>,
    pub plan: Option<String>,
    pub last_paid_at: Option<i64>,
    pub facts: CompanyFacts,
}

// The last payments come from one pass over the factures: they have no index by company, which
// would cost every payment a second B-tree insert (migration 0007).
const SELECT: &str = "SELECT c.id, c.name, c.siren, c.revoked_at, s.plan, s.expires_at,
        s.renewal_state, s.cancel_at_period_end, f.last_paid_at,
        (SELECT COUNT(*) FROM disputes d
          WHERE d.client_id = c.id AND d.effect IN ('open', 'inquiry')) AS disputes
    FROM clients c LEFT JOIN subscriptions s ON s.client_id = c.id
    LEFT JOIN (SELECT client_id, MAX(paid_at) AS last_paid_at FROM factures GROUP BY client_id) f
        ON f.client_id = c.id";

fn company(r: &sqlx::any::AnyRow) -> Result<CompanyRow, sqlx::Error> {
    Ok(CompanyRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        siren: r.try_get("siren")?,
        revoked_at: r.try_get("revoked_at")?,
        plan: r.try_get("plan")?,
        last_paid_at: r.try_get("last_paid_at")?,
        facts: CompanyFacts {
            expires_at: r.try_get("expires_at")?,
            renewal_state: r.try_get("renewal_state")?,
            cancel_at_period_end: r
                .try_get::<Option<i64>, _>("cancel_at_period_end")?
                .unwrap_or(0)
                != 0,
            open_dispute: r.try_get::<i64, _>("disputes")? > 0,
        },
    })
}

/// A checkout session as the console lists it.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub plan: String,
    pub state: String,
    pub reason: Option<String>,
    pub created_at: i64,
}

/// An open dispute, as the console lists it.
#[derive(Debug, Clone)]
pub struct DisputeRow {
    pub id: String,
    pub client: String,
    pub amount_cents: i64,
    pub status: String,
    pub reason: Option<String>,
    pub evidence_due_by: Option<i64>,
    pub created_at: i64,
}

impl Db {
    /// The factures and avoirs issued since `since`, for revenue per month. A facture rejected
    /// by the platform counts as never issued (its replacement bills the payment).
    pub async fn issued_since(&self, since: i64) -> Result<Vec<Issued>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT issued_at, total_cents, 0 AS avoir FROM factures
              WHERE issued_at >= $1 AND source NOT LIKE 'rejected:%'
             UNION ALL
             SELECT issued_at, total_cents, 1 AS avoir FROM avoirs WHERE issued_at >= $1",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Issued {
                    issued_at: r.try_get("issued_at")?,
                    total_cents: r.try_get("total_cents")?,
                    avoir: r.try_get::<i32, _>("avoir")? == 1,
                })
            })
            .collect()
    }

    /// Disputes still open (or an inquiry), the nearest evidence deadline first.
    pub async fn open_disputes(&self) -> Result<Vec<DisputeRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT dispute_id, client_id, amount_cents, status, reason, evidence_due_by, created_at
               FROM disputes WHERE effect IN ('open', 'inquiry')
              ORDER BY COALESCE(evidence_due_by, created_at)",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DisputeRow {
                    id: r.try_get("dispute_id")?,
                    client: r.try_get("client_id")?,
                    amount_cents: r.try_get("amount_cents")?,
                    status: r.try_get("status")?,
                    reason: r.try_get("reason")?,
                    evidence_due_by: r.try_get("evidence_due_by")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Companies whose id, name or SIREN contains `search` (every one when empty), by id.
    pub async fn console_companies(&self, search: &str) -> Result<Vec<CompanyRow>, sqlx::Error> {
        let pattern = format!(
            "%{}%",
            search
                .trim()
                .to_lowercase()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let sql = format!(
            "{SELECT} WHERE lower(c.id) LIKE $1 ESCAPE '\\' OR lower(c.name) LIKE $1 ESCAPE '\\'
                OR COALESCE(c.siren, '') LIKE $1 ESCAPE '\\' ORDER BY c.id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(pattern)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(company).collect()
    }

    pub async fn console_company(&self, id: &str) -> Result<Option<CompanyRow>, sqlx::Error> {
        let sql = format!("{SELECT} WHERE c.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(company).transpose()
    }

    /// A company's latest 50 checkout sessions, newest first.
    pub async fn console_sessions(&self, id: &str) -> Result<Vec<SessionRow>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT session_id, plan, state, reason, created_at FROM checkout_sessions
             WHERE client_id = $1 ORDER BY created_at DESC LIMIT 50",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(SessionRow {
                    id: r.try_get("session_id")?,
                    plan: r.try_get("plan")?,
                    state: r.try_get("state")?,
                    reason: r.try_get("reason")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect()
    }
}
