//! Reading a client's subscription as the status API and the pages show it.

use sqlx::Row;

use super::{Backend, Db};
use crate::core::money_news::{News, NewsKind};
use crate::core::renewal::{RenewalRow, parse_state};
use crate::domain::{ClientId, PlanId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub plan: Option<PlanId>,
    pub expires_at: Option<i64>,
    pub version: i64,
    /// A checkout completed with a delayed method (SEPA) whose funds have not arrived.
    pub payment_pending: bool,
    pub renewal: RenewalRow,
    /// The news of money that went back, as the writer stored it.
    pub money_back: Option<News>,
}

/// The columns `row_of` reads, after the ones each query puts first.
const COLUMNS: &str = "s.plan, s.expires_at, s.version,
    (SELECT COUNT(*) FROM checkout_sessions k WHERE k.client_id = s.client_id AND k.state = 'pending'),
    s.subscription_id, s.renewal_state, s.paid_until, s.current_period_end, s.cancel_at_period_end,
    s.payment_failed, s.card_last4, s.money_back_kind, s.money_back_amount, s.money_back_at";

fn row_of(r: &sqlx::any::AnyRow, offset: usize) -> SubscriptionRow {
    SubscriptionRow {
        plan: r
            .get::<Option<String>, _>(offset)
            .as_deref()
            .and_then(PlanId::parse),
        expires_at: r.get(offset + 1),
        version: r.get(offset + 2),
        payment_pending: r.get::<i64, _>(offset + 3) > 0,
        renewal: RenewalRow {
            subscription_id: r.get(offset + 4),
            state: r
                .get::<Option<String>, _>(offset + 5)
                .as_deref()
                .and_then(parse_state),
            paid_until: r.get(offset + 6),
            current_period_end: r.get(offset + 7),
            cancel_at_period_end: r.get::<i64, _>(offset + 8) != 0,
            payment_failed: r.get::<i64, _>(offset + 9) != 0,
            card_last4: r.get(offset + 10),
        },
        money_back: r
            .get::<Option<String>, _>(offset + 11)
            .as_deref()
            .and_then(NewsKind::parse)
            .map(|kind| News {
                kind,
                amount: r.get(offset + 12),
                at: r.get::<Option<i64>, _>(offset + 13).unwrap_or_default(),
            }),
    }
}

impl Db {
    /// For each token hash that belongs to a client (not revoked): the client and its
    /// subscription, in one query for the whole batch (see `reader.rs`).
    pub async fn subscriptions_for_token_hashes(
        &self,
        hashes: &[String],
    ) -> Result<Vec<(String, ClientId, SubscriptionRow)>, sqlx::Error> {
        // The hashes travel as one JSON array, so that the statement's text never changes and
        // is prepared once per connection, whatever the batch's size. On PostgreSQL, each hash
        // is looked up by the indexes (LATERAL … LIMIT 1): joining the array to the tables lets
        // the planner scan them whole.
        let sql = match self.backend {
            Backend::Sqlite => format!(
                "SELECT c.token_hash, c.id, {COLUMNS}
                 FROM clients c JOIN subscriptions s ON s.client_id = c.id
                 WHERE c.revoked_at IS NULL AND c.token_hash IN (SELECT value FROM json_each($1))"
            ),
            Backend::Postgres => format!(
                "SELECT x.* FROM jsonb_array_elements_text($1::jsonb) AS h(hash)
                 CROSS JOIN LATERAL (SELECT c.token_hash, c.id, {COLUMNS}
                     FROM clients c JOIN subscriptions s ON s.client_id = c.id
                     WHERE c.token_hash = h.hash AND c.revoked_at IS NULL LIMIT 1) AS x"
            ),
        };
        let query =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(serde_json::json!(hashes).to_string());
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows
            .iter()
            .filter_map(|r| ClientId::parse(r.get(1)).map(|id| (r.get(0), id, row_of(r, 2))))
            .collect())
    }

    pub async fn subscription(
        &self,
        client: &ClientId,
    ) -> Result<Option<SubscriptionRow>, sqlx::Error> {
        let sql = format!("SELECT {COLUMNS} FROM subscriptions s WHERE client_id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| row_of(&r, 0)))
    }
}
