//! Asking Stripe to refund a facture's payment, for `relay refund` and the console's
//! « Rembourser » alike: what is left to refund is checked before Stripe is called, and the
//! idempotency key makes the same request, sent again after a timeout, the same refund. The avoir
//! and the access change follow from the refund's events, as for a refund made in Stripe's
//! Dashboard.

use crate::billing::BillingApi;
use crate::core::numbering::{Series, parse_number};
use crate::core::refund::{euros, idempotency_key, refundable};
use crate::core::reversal::RefundStatus;
use crate::db::Db;
use crate::db::refunds::RefundTarget;
use crate::stripe::StripeFailure;

/// What Stripe accepted.
#[derive(Debug)]
pub struct Asked {
    pub refund_id: String,
    pub amount: i64,
    pub status: RefundStatus,
    pub target: RefundTarget,
}

impl Asked {
    /// What the operator reads.
    pub fn said(&self, number: &str) -> String {
        format!(
            "Stripe a accepté le remboursement {} de {} sur la facture {number} (statut : {}). L'avoir et l'accès de l'entreprise {} suivront ses événements.",
            self.refund_id,
            euros(self.amount),
            status_fr(self.status),
            self.target.client
        )
    }
}

/// Why nothing was refunded; its French text for the operator.
#[derive(Debug, thiserror::Error)]
pub enum NotAsked {
    #[error("« {0} » n'est pas un numéro de facture (ex. FA-2026-000123)")]
    NotANumber(String),
    #[error("Facture {0} introuvable.")]
    Unknown(String),
    #[error(
        "Le paiement de la facture {0} n'est pas connu du relais : remboursez-le depuis le Dashboard Stripe, l'avoir suivra."
    )]
    NoPayment(String),
    #[error("Remboursement refusé, Stripe n'a pas été appelé : {0}.")]
    TooMuch(String),
    #[error("Stripe a refusé le remboursement : {0}")]
    Refused(String),
    #[error(
        "Stripe n'a pas répondu ({0}) : recommencez, le même remboursement ne sera pas fait deux fois."
    )]
    Unreachable(String),
    #[error("base de données : {0}")]
    Db(#[from] sqlx::Error),
}

pub fn status_fr(status: RefundStatus) -> &'static str {
    match status {
        RefundStatus::Pending => "en cours",
        RefundStatus::RequiresAction => "action requise",
        RefundStatus::Succeeded => "réussi",
        RefundStatus::Failed => "échoué",
        RefundStatus::Canceled => "annulé",
    }
}

/// The facture `number` as a refund sees it (what it cost, what went back already).
pub async fn target(db: &Db, number: &str) -> Result<RefundTarget, NotAsked> {
    let (year, seq) = parse_number(Series::Facture, number)
        .ok_or_else(|| NotAsked::NotANumber(number.to_owned()))?;
    db.refund_target(crate::db::factures::key((year, seq)))
        .await?
        .ok_or_else(|| NotAsked::Unknown(number.to_owned()))
}

/// Asks Stripe to refund `asked` cents (all that is left when `None`) of facture `number`.
pub async fn ask(
    db: &Db,
    billing: &BillingApi,
    number: &str,
    asked: Option<i64>,
    reason: Option<&str>,
) -> Result<Asked, NotAsked> {
    let target = target(db, number).await?;
    let intent = target
        .payment_intent
        .clone()
        .ok_or_else(|| NotAsked::NoPayment(number.to_owned()))?;
    let amount = refundable(target.total_cents, target.refunded, asked)
        .map_err(|refused| NotAsked::TooMuch(refused.to_string()))?;
    let key = idempotency_key(number, amount, target.refunded);
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match billing
        .create_refund(&intent, amount, number, reason, &key)
        .await
    {
        Ok(r) => Ok(Asked {
            refund_id: r.id,
            amount: r.amount,
            status: r.status,
            target,
        }),
        Err(StripeFailure::Refused { message, .. }) => Err(NotAsked::Refused(message)),
        Err(e) => Err(NotAsked::Unreachable(e.to_string())),
    }
}
