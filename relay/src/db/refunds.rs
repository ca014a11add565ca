//! Refunds inside the writer's transaction: the payment a PaymentIntent names (a fulfilled
//! one-off session or a paid renewal invoice; disputes find theirs the same way), a refund's
//! stored status, and the refund kept at its new status. And what `relay refund` reads.

use sqlx::{AnyConnection, Row};

use crate::core::Timestamp;
use crate::core::reversal::RefundStatus;
use crate::domain::ClientId;
use crate::money_back::facts::RefundFacts;

/// A payment the relay took, as a refund names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownPayment {
    pub client: ClientId,
    pub amount: i64,
    pub currency: String,
    /// Its facture's key (year × 1,000,000 + number), when it has one.
    pub facture: Option<i64>,
    /// The subscription a renewal invoice paid; `None` for a one-off payment.
    pub subscription: Option<String>,
}

/// The payment `intent` paid, if the relay took it. The sessions are scanned for it: an index
/// would cost every payment a write for what a refund or a dispute reads a few times a day
/// (migration 0017).
pub async fn payment(
    conn: &mut AnyConnection,
    intent: &str,
) -> Result<Option<KnownPayment>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.client_id, s.amount_cents, s.currency, f.id, CAST(NULL AS TEXT)
         FROM checkout_sessions s LEFT JOIN factures f ON f.source = s.session_id
         WHERE s.payment_intent = $1 AND s.state = 'fulfilled'
         UNION ALL
         SELECT i.client_id, i.amount_cents, i.currency, f.id, i.subscription_id
         FROM invoices i LEFT JOIN factures f ON f.source = i.invoice_id
         WHERE i.payment_intent = $1",
    )
    .bind(intent)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.and_then(|r| {
        Some(KnownPayment {
            client: ClientId::parse(&r.get::<String, _>(0))?,
            amount: r.get::<Option<i64>, _>(1)?,
            currency: r.get::<Option<String>, _>(2).unwrap_or_default(),
            facture: r.get(3),
            subscription: r.get(4),
        })
    }))
}

/// The refund's stored status; on PostgreSQL its row stays locked until the commit.
pub async fn status(
    conn: &mut AnyConnection,
    refund: &str,
) -> Result<Option<RefundStatus>, sqlx::Error> {
    let select = "SELECT status FROM refunds WHERE refund_id = $1";
    let status = super::locked_text(conn, select, refund).await?;
    Ok(status.as_deref().and_then(RefundStatus::parse))
}

/// Keeps the refund at its reported status (the caller checked that it moves forward).
pub async fn store(
    conn: &mut AnyConnection,
    refund: &RefundFacts,
    paid: &KnownPayment,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refunds (refund_id, payment_intent, client_id, amount_cents, currency,
             status, reason, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (refund_id) DO UPDATE SET status = excluded.status,
             updated_at = excluded.updated_at",
    )
    .bind(refund.id.as_str())
    .bind(refund.payment_intent.as_deref().unwrap_or_default())
    .bind(paid.client.as_str())
    .bind(refund.amount)
    .bind(refund.currency.as_deref().unwrap_or(&paid.currency))
    .bind(refund.status.as_str())
    .bind(refund.reason.as_deref())
    .bind(refund.created)
    .bind(now.unix())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the operator's refund of a facture needs: its company, amount, the PaymentIntent that
/// paid it (absent for a renewal invoice whose payment was not read), what already went back,
/// and the company's subscription at Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundTarget {
    pub client: ClientId,
    pub total_cents: i64,
    pub payment_intent: Option<String>,
    pub refunded: i64,
    pub subscription_id: Option<String>,
}

impl super::Db {
    /// The facture `key` (year × 1,000,000 + number) as a refund sees it.
    pub async fn refund_target(&self, key: i64) -> Result<Option<RefundTarget>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT f.client_id, f.total_cents, COALESCE(s.payment_intent, i.payment_intent),
                 sub.subscription_id
             FROM factures f
                 LEFT JOIN checkout_sessions s ON s.session_id = f.source
                 LEFT JOIN invoices i ON i.invoice_id = f.source
                 LEFT JOIN subscriptions sub ON sub.client_id = f.client_id
             WHERE f.id = $1",
        )
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let payment_intent: Option<String> = r.get(2);
        let refunded: i64 = match &payment_intent {
            Some(intent) => {
                sqlx::query_scalar(
                    "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM refunds
                 WHERE payment_intent = $1 AND status NOT IN ('failed', 'canceled')",
                )
                .bind(intent.as_str())
                .fetch_one(&self.pool)
                .await?
            }
            None => 0,
        };
        Ok(Some(RefundTarget {
            client: ClientId::parse(&r.get::<String, _>(0)).expect("stored client ids are valid"),
            total_cents: r.get(1),
            payment_intent,
            refunded,
            subscription_id: r.get(3),
        }))
    }
}
