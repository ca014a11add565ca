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
use crate::db::refunds::{self as q, KnownPayment};
use crate::db::{access, disputes};
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
    let paid = match known_payment(conn, facts.payment_intent.as_deref()).await? {
        Ok(paid) => paid,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let stored = q::status(conn, &facts.id).await?;
    if !RefundStatus::moves(stored, facts.status) {
        let known = stored.expect("only a stored refund stays where it is");
        return Ok(Err(Unchanged::AlreadyKnown(known)));
    }
    q::store(conn, facts, &paid, now).await?;
    let version = match fold_again(conn, &paid, now).await? {
        Ok(version) => version,
        Err(gone) => return Ok(Err(gone)),
    };
    let avoir_issued = match facts.status {
        RefundStatus::Succeeded => {
            let reason = avoir_reason(facts.reason.as_deref(), facts.note.as_deref());
            let draft = AvoirDraft {
                source: &facts.id,
                total_cents: facts.amount,
                reason: &reason,
                returned_at: facts.created,
            };
            issue_avoir(conn, &paid, &draft, origin, now).await?
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
    let paid = match known_payment(conn, facts.payment_intent.as_deref()).await? {
        Ok(paid) => paid,
        Err(unknown) => return Ok(Err(unknown)),
    };
    let stored = disputes::status(conn, &facts.id).await?;
    if !DisputeStatus::moves(stored.as_deref(), &facts.status) {
        return Ok(Err(Unchanged::DisputeKnown(stored.unwrap_or_default())));
    }
    disputes::store(conn, facts, &paid, now).await?;
    let version = match fold_again(conn, &paid, now).await? {
        Ok(version) => version,
        Err(gone) => return Ok(Err(gone)),
    };
    let avoir_issued = match facts.effect {
        DisputeStatus::Lost => {
            let reason = dispute_avoir_reason(facts.reason.as_deref());
            let draft = AvoirDraft {
                source: &facts.id,
                total_cents: facts.amount,
                reason: &reason,
                returned_at: facts.created,
            };
            issue_avoir(conn, &paid, &draft, origin, now).await?
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

/// The payment `intent` names, or why nothing changes: the relay does not know it.
async fn known_payment(
    conn: &mut AnyConnection,
    intent: Option<&str>,
) -> Result<Result<KnownPayment, Unchanged>, sqlx::Error> {
    let intent = intent.unwrap_or_default();
    Ok(q::payment(conn, intent)
        .await?
        .ok_or_else(|| Unchanged::Rejected(Rejection::UnknownPayment(intent.to_owned()))))
}

/// Folds the company's access again; its new version, or why nothing changes: it is gone.
async fn fold_again(
    conn: &mut AnyConnection,
    paid: &KnownPayment,
    now: Timestamp,
) -> Result<Result<i64, Unchanged>, sqlx::Error> {
    Ok(access::store_access(conn, &paid.client, now)
        .await?
        .ok_or_else(|| Unchanged::Rejected(Rejection::UnknownClient(paid.client.to_string()))))
}

/// Issues the avoir of `draft` against the payment's facture (none without one); whether it
/// was issued now.
async fn issue_avoir(
    conn: &mut AnyConnection,
    paid: &KnownPayment,
    draft: &AvoirDraft<'_>,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    match paid.facture {
        Some(corrects) => avoirs::issue(conn, corrects, draft, origin, now).await,
        None => Ok(false),
    }
}
