//! Why a payment or an event was refused and changed nothing: one closed list, each reason with
//! a stable code (for metrics and the operator), a French sentence (for the operator's pages and
//! commands) and the English text the event journal and the logs keep.

use std::fmt;

/// A refused payment, session, invoice or subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// The session names no well-formed company.
    NoClient,
    /// No plan in the session's (or the subscription's) metadata.
    NoPlan {
        subscription: bool,
    },
    UnknownPlan(String),
    WrongAmount {
        amount: Option<i64>,
        plan: String,
        price_cents: i64,
    },
    WrongCurrency {
        currency: Option<String>,
        plan: String,
        expected: String,
    },
    /// A Checkout Session this relay did not store when it created one.
    SessionNotOurs,
    /// The session's metadata differs from what the relay stored when it created it.
    SessionDisagrees {
        client: Option<String>,
        plan: Option<String>,
        stored_client: String,
        stored_plan: String,
    },
    /// The company does not exist (any more).
    UnknownClient(String),
    /// An invoice whose subscription line has no period.
    NoPeriod,
    /// An invoice or subscription whose Stripe customer this relay did not create.
    CustomerNotOurs,
    /// Metadata names another company than the Stripe customer's holder.
    CustomerMismatch {
        named: String,
        holder: String,
    },
    /// A refund or a dispute of a payment this relay does not know (by its PaymentIntent).
    UnknownPayment(String),
}

impl Rejection {
    /// A stable code, one word per reason.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NoClient => "no_client",
            Self::NoPlan { .. } => "no_plan",
            Self::UnknownPlan(_) => "unknown_plan",
            Self::WrongAmount { .. } => "wrong_amount",
            Self::WrongCurrency { .. } => "wrong_currency",
            Self::SessionNotOurs => "session_not_ours",
            Self::SessionDisagrees { .. } => "session_disagrees",
            Self::UnknownClient(_) => "unknown_client",
            Self::NoPeriod => "no_period",
            Self::CustomerNotOurs => "customer_not_ours",
            Self::CustomerMismatch { .. } => "customer_mismatch",
            Self::UnknownPayment(_) => "unknown_payment",
        }
    }

    /// The reason in French, for the people who run the relay.
    pub fn message_fr(&self) -> String {
        match self {
            Self::NoClient => "aucune entreprise valide dans les métadonnées du paiement".into(),
            Self::NoPlan { .. } => "aucun plan dans les métadonnées du paiement".into(),
            Self::UnknownPlan(plan) => format!("plan inconnu « {plan} »"),
            Self::WrongAmount {
                amount,
                plan,
                price_cents,
            } => format!(
                "montant {} différent du prix du plan « {plan} » ({})",
                amount.map_or_else(|| "absent".into(), euros),
                euros(*price_cents)
            ),
            Self::WrongCurrency {
                currency,
                plan,
                expected,
            } => format!(
                "devise « {} » différente de celle du plan « {plan} » ({expected})",
                currency.as_deref().unwrap_or("?")
            ),
            Self::SessionNotOurs => "session de paiement non créée par ce relais".into(),
            Self::SessionDisagrees { .. } => {
                "les métadonnées de la session diffèrent de celles enregistrées à sa création"
                    .into()
            }
            Self::UnknownClient(client) => format!("entreprise inconnue « {client} »"),
            Self::NoPeriod => "la ligne de la facture Stripe n'a pas de période".into(),
            Self::CustomerNotOurs => "client Stripe non créé par ce relais".into(),
            Self::CustomerMismatch { named, holder } => format!(
                "les métadonnées nomment l'entreprise « {named} », le client Stripe est celui de « {holder} »"
            ),
            Self::UnknownPayment(intent) => {
                format!("paiement « {intent} » inconnu de ce relais")
            }
        }
    }
}

/// « 49,00 € ».
fn euros(cents: i64) -> String {
    format!("{},{:02} €", cents / 100, (cents % 100).abs())
}

/// The English text journalled after `rejected: `.
impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoClient => f.write_str("no valid client_id in metadata"),
            Self::NoPlan {
                subscription: false,
            } => f.write_str("no plan in metadata"),
            Self::NoPlan { subscription: true } => {
                f.write_str("no plan in the subscription's metadata")
            }
            Self::UnknownPlan(plan) => write!(f, "unknown plan {plan}"),
            Self::WrongAmount {
                amount,
                plan,
                price_cents,
            } => write!(
                f,
                "amount {amount:?} does not match plan {plan} ({price_cents} cents)"
            ),
            Self::WrongCurrency {
                currency,
                plan,
                expected,
            } => write!(
                f,
                "currency {currency:?} does not match plan {plan} ({expected})"
            ),
            Self::SessionNotOurs => f.write_str("session not created by this relay"),
            Self::SessionDisagrees {
                client,
                plan,
                stored_client,
                stored_plan,
            } => write!(
                f,
                "session metadata (client {}, plan {}) disagrees with the session created (client {stored_client}, plan {stored_plan})",
                client.as_deref().unwrap_or("?"),
                plan.as_deref().unwrap_or("?"),
            ),
            Self::UnknownClient(client) => write!(f, "unknown client {client}"),
            Self::NoPeriod => f.write_str("invoice line has no period"),
            Self::CustomerNotOurs => f.write_str("customer not created by this relay"),
            Self::CustomerMismatch { named, holder } => write!(
                f,
                "metadata names client {named} but the customer is client {holder}'s"
            ),
            Self::UnknownPayment(intent) => write!(f, "payment {intent} unknown to this relay"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_has_a_stable_code_an_english_journal_text_and_a_french_sentence() {
        let wrong = Rejection::WrongAmount {
            amount: Some(4899),
            plan: "mensuel".into(),
            price_cents: 4900,
        };
        assert_eq!(wrong.code(), "wrong_amount");
        assert_eq!(
            wrong.to_string(),
            "amount Some(4899) does not match plan mensuel (4900 cents)"
        );
        assert_eq!(
            wrong.message_fr(),
            "montant 48,99 € différent du prix du plan « mensuel » (49,00 €)"
        );
        assert_eq!(
            Rejection::SessionNotOurs.to_string(),
            "session not created by this relay"
        );
        assert_eq!(
            Rejection::UnknownClient("999".into()).message_fr(),
            "entreprise inconnue « 999 »"
        );
        let unknown = Rejection::UnknownPayment("pi_1".into());
        assert_eq!(unknown.code(), "unknown_payment");
        assert_eq!(unknown.to_string(), "payment pi_1 unknown to this relay");
    }
}
