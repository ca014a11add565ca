//! Reading a client's subscription as the status API and the pages show it.

use sqlx::Row;

use super::Db;
use crate::domain::ClientId;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionRow {
    pub plan: Option<String>,
    pub expires_at: Option<i64>,
    pub version: i64,
    /// A checkout completed with a delayed method (SEPA) whose funds have not arrived.
    pub payment_pending: bool,
}

fn row_of(r: &sqlx::any::AnyRow, offset: usize) -> SubscriptionRow {
    SubscriptionRow {
        plan: r.get(offset),
        expires_at: r.get(offset + 1),
        version: r.get(offset + 2),
        payment_pending: r.get::<i64, _>(offset + 3) > 0,
    }
}

impl Db {
    /// The client owning `token` (not revoked) with its subscription, in one query: the status
    /// endpoint is the hot path of every desktop app.
    pub async fn subscription_for_token(
        &self,
        token: &str,
    ) -> Result<Option<(ClientId, SubscriptionRow)>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT c.id, s.plan, s.expires_at, s.version,
                    (SELECT COUNT(*) FROM checkout_sessions k WHERE k.client_id = c.id AND k.state = 'pending')
             FROM clients c JOIN subscriptions s ON s.client_id = c.id
             WHERE c.token_hash = $1 AND c.revoked_at IS NULL",
        )
        .bind(super::clients::hash_token(token))
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.and_then(|r| ClientId::parse(r.get(0)).map(|id| (id, row_of(&r, 1)))))
    }

    pub async fn subscription(
        &self,
        client: &ClientId,
    ) -> Result<Option<SubscriptionRow>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT plan, expires_at, version,
                    (SELECT COUNT(*) FROM checkout_sessions c WHERE c.client_id = s.client_id AND c.state = 'pending')
             FROM subscriptions s WHERE client_id = $1",
        )
        .bind(client.as_str())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| row_of(&r, 0)))
    }
}
