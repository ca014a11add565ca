//! Refunds and disputes applied inside the writer's transaction, in any order and any number of
//! times: each is keyed on its id and its status only moves forward ([`RefundStatus::moves`],
//! [`DisputeStatus::moves`]); the company
//! is the one whose payment the refund names (never metadata), and its access is folded again
//! from its payments and what went back of them ([`crate::db::access::store_access`]). A
//! refund that reaches `succeeded` gets its avoir in the same transaction; one that fails after
//! that keeps it (the credit is still owed: the operator pays it another way).

use sqlx::AnyConnection;

use super::facts::{DisputeFacts, RefundFacts};
use crate::core::Timestamp;
use crate::core::rejection::Rejection;
use crate::core::reversal::{DisputeStatus, RefundStatus, avoir_reason, dispute_avoir_reason};
use crate::db::avoirs::{self, AvoirDraft};
use crate::db::{access, disputes, refunds as q};
use crate::domain::{ClientId, PaymentOrigin};

/// What a refund event did: the company, the refund's new status, the company's new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refunded {
    pub client: ClientId,
    pub status: RefundStatus,
    pub version: i64,
    /// It succeeded and its avoir was issued now.
    pub avoir_issued: bool,
    /// It failed after its avoir was issued: the credit is still owed.
    pub failed_after_avoir: bool,
}

/// Why a refund or a dispute changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unchanged {
    Rejected(Rejection),
    /// Already at this status or further (a duplicate, or an older notice delivered late).
    AlreadyKnown(RefundStatus),
    /// The dispute is already at this Stripe status or further.
    DisputeKnown(String),
}

/// Applies one refund as Stripe reported it.
pub async fn refund(
    conn: &mut AnyConnection,
    facts: &RefundFacts,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<Result<Refunded, Unchanged>, sqlx::Error> {
    let intent = facts.payment_intent.as_deref().unwrap_or_default();
    let Some(paid) = q::payment(conn, intent).await? else {
        let unknown = Rejection::UnknownPayment(intent.to_owned());
        return Ok(Err(Unchanged::Rejected(unknown)));
    };
    let stored = q::status(conn, &facts.id).await?;
    if !RefundStatus::moves(stored, facts.status) {
        let known = stored.expect("only a stored refund stays where it is");
        return Ok(Err(Unchanged::AlreadyKnown(known)));
    }
    q::store(conn, facts, &paid, now).await?;
    let Some(version) = access::store_access(conn, &paid.client, now).await? else {
        let gone = Rejection::UnknownClient(paid.client.to_string());
        return Ok(Err(Unchanged::Rejected(gone)));
    };
    let avoir_issued = match (facts.status, paid.facture) {
        (RefundStatus::Succeeded, Some(corrects)) => {
            let reason = avoir_reason(facts.reason.as_deref(), facts.note.as_deref());
            let draft = AvoirDraft {
                source: &facts.id,
                corrects,
                total_cents: facts.amount,
                reason: &reason,
                returned_at: facts.created,
            };
            avoirs::issue(conn, &draft, origin, now).await?
        }
        _ => false,
    };
    let failed_after_avoir =
        stored == Some(RefundStatus::Succeeded) && !facts.status.takes_money_back();
    Ok(Ok(Refunded {
        client: paid.client,
        status: facts.status,
        version,
        avoir_issued,
        failed_after_avoir,
    }))
}

/// What a dispute event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disputed {
    pub client: ClientId,
    /// Stripe's status, and what it means for access.
    pub status: String,
    pub effect: DisputeStatus,
    pub version: i64,
    /// Lost, and its avoir was issued now.
    pub avoir_issued: bool,
    /// A chargeback on a renewal invoice: its subscription is to stop at Stripe.
    pub renewal_stop: bool,
}

/// Applies one dispute as Stripe reported it: access folded again (a chargeback suspends the
/// payment's period until it is won), an avoir once it is lost, and, for a chargeback on a
/// renewal invoice, the subscription to stop at the end of its period (after the commit).
pub async fn dispute(
    conn: &mut AnyConnection,
    facts: &DisputeFacts,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<Result<Disputed, Unchanged>, sqlx::Error> {
    let intent = facts.payment_intent.as_deref().unwrap_or_default();
    let Some(paid) = q::payment(conn, intent).await? else {
        let unknown = Rejection::UnknownPayment(intent.to_owned());
        return Ok(Err(Unchanged::Rejected(unknown)));
    };
    let stored = disputes::status(conn, &facts.id).await?;
    if !DisputeStatus::moves(stored.as_deref(), &facts.status) {
        return Ok(Err(Unchanged::DisputeKnown(stored.unwrap_or_default())));
    }
    disputes::store(conn, facts, &paid, now).await?;
    let Some(version) = access::store_access(conn, &paid.client, now).await? else {
        let gone = Rejection::UnknownClient(paid.client.to_string());
        return Ok(Err(Unchanged::Rejected(gone)));
    };
    let avoir_issued = match (facts.effect, paid.facture) {
        (DisputeStatus::Lost, Some(corrects)) => {
            let reason = dispute_avoir_reason(facts.reason.as_deref());
            let draft = AvoirDraft {
                source: &facts.id,
                corrects,
                total_cents: facts.amount,
                reason: &reason,
                returned_at: facts.created,
            };
            avoirs::issue(conn, &draft, origin, now).await?
        }
        _ => false,
    };
    let stop = paid
        .subscription
        .as_deref()
        .filter(|_| facts.effect.takes_money_back());
    if let Some(subscription) = stop {
        disputes::stop_renewal(conn, &facts.id, &paid, subscription, now).await?;
    }
    Ok(Ok(Disputed {
        client: paid.client,
        status: facts.status.clone(),
        effect: facts.effect,
        version,
        avoir_issued,
        renewal_stop: stop.is_some(),
    }))
}
