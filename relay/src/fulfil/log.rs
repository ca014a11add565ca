//! The operator's log line for each committed outcome: the contract's French lines for a
//! fulfilment and a renewal, English for the rest (refunds, disputes, rejections), written by the
//! writer's caller (`Writer::submit`) in the event's span once its batch is committed.

use super::Outcome;
use crate::domain::ModeMismatch;
use crate::renewal::apply::Effect;

/// The operator's line for a committed outcome.
pub fn log(outcome: &Outcome) {
    match outcome {
        Outcome::Fulfilled {
            client,
            plan,
            expires_at,
            ..
        } => {
            let date = chrono::DateTime::from_timestamp(*expires_at, 0)
                .unwrap_or_default()
                .format("%Y-%m-%d");
            tracing::info!(target: "stripe_service", "Abonnement mis à jour pour {client}: plan={plan}, expire={date}");
        }
        Outcome::Renewal {
            client,
            effect: Effect::InvoicePaid { plan, paid_until },
            ..
        } => {
            let date = chrono::DateTime::from_timestamp(*paid_until, 0)
                .unwrap_or_default()
                .format("%Y-%m-%d");
            tracing::info!(target: "stripe_service", "Renouvellement payé pour {client}: plan={plan}, payé jusqu'au {date}");
        }
        Outcome::Renewal {
            client,
            effect: Effect::PaymentFailed,
            ..
        } => {
            tracing::warn!(target: "stripe_service", "Échec du prélèvement de renouvellement pour {client}: abonnement en retard de paiement");
        }
        Outcome::Renewal { client, effect, .. } => {
            tracing::info!(target: "stripe_service", "Renouvellement pour {client}: {}", effect.label());
        }
        Outcome::Refund(r) if r.failed_after_avoir => {
            tracing::warn!(target: "stripe_service", "Refund failed for {} after its avoir was issued: the credit is still owed, pay it another way", r.client);
        }
        Outcome::Refund(r) => {
            let (client, status) = (&r.client, r.status.as_str());
            let avoir = if r.avoir_issued { ", avoir issued" } else { "" };
            tracing::info!(target: "stripe_service", "Refund {status} for {client}: access folded again{avoir}");
        }
        Outcome::Dispute(d) => {
            let (client, status, effect) = (&d.client, &d.status, d.effect.as_str());
            let avoir = if d.avoir_issued { ", avoir issued" } else { "" };
            let stop = if d.renewal_stop {
                ", renewal to stop at Stripe"
            } else {
                ""
            };
            tracing::warn!(target: "stripe_service", "Dispute {status} ({effect}) for {client}: access folded again{avoir}{stop}");
        }
        Outcome::Rejected(reason) => {
            tracing::warn!(target: "stripe_service", "Payment not applied: {reason}")
        }
        Outcome::WrongMode {
            mismatch: ModeMismatch { live_money: true },
            object,
        } => {
            tracing::error!(target: "stripe_service", "Paiement réel reçu par un relais aux clés de test ({object}) : rien n'a été accordé, paiement à rembourser depuis le Dashboard Stripe");
        }
        Outcome::WrongMode { mismatch, object } => {
            tracing::warn!(target: "stripe_service", "Payment not applied ({object}): {}", mismatch.reason())
        }
        _ => {}
    }
}
