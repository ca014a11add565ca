//! Refunds applied inside the writer's transaction, in any order and any number of times: each
//! is keyed on its id and its status only moves forward ([`RefundStatus::moves`]); the company
//! is the one whose payment the refund names (never metadata), and its access is folded again
//! from its payments and what went back of them ([`crate::db::access::store_access`]). A
//! refund that reaches `succeeded` gets its avoir in the same transaction; one that fails after
//! that keeps it (the credit is still owed: the operator pays it another way).

use sqlx::AnyConnection;

use super::facts::RefundFacts;
use crate::core::Timestamp;
use crate::core::rejection::Rejection;
use crate::core::reversal::{RefundStatus, avoir_reason};
use crate::db::avoirs::{self, AvoirDraft};
use crate::db::{access, refunds as q};
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

/// Why a refund changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRefunded {
    Rejected(Rejection),
    /// Already at this status or further (a duplicate, or an older notice delivered late).
    AlreadyKnown(RefundStatus),
}

/// Applies one refund as Stripe reported it.
pub async fn refund(
    conn: &mut AnyConnection,
    facts: &RefundFacts,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<Result<Refunded, NotRefunded>, sqlx::Error> {
    let intent = facts.payment_intent.as_deref().unwrap_or_default();
    let Some(paid) = q::payment(conn, intent).await? else {
        let unknown = Rejection::UnknownPayment(intent.to_owned());
        return Ok(Err(NotRefunded::Rejected(unknown)));
    };
    let stored = q::status(conn, &facts.id).await?;
    if !RefundStatus::moves(stored, facts.status) {
        let known = stored.expect("only a stored refund stays where it is");
        return Ok(Err(NotRefunded::AlreadyKnown(known)));
    }
    q::store(conn, facts, &paid, now).await?;
    let Some(version) = access::store_access(conn, &paid.client, now).await? else {
        let gone = Rejection::UnknownClient(paid.client.to_string());
        return Ok(Err(NotRefunded::Rejected(gone)));
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
