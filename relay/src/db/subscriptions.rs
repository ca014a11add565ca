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

impl Db {
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
        Ok(row.map(|r| SubscriptionRow {
            plan: r.get(0),
            expires_at: r.get(1),
            version: r.get(2),
            payment_pending: r.get::<i64, _>(3) > 0,
        }))
    }
}
