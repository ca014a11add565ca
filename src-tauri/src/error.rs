//! The app's one error type. Each variant is one French sentence saying what happened and what
//! to do; it reaches the UI as `{"code", "message"}` (see `ErrorBody`).

use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error("Connectez-vous avec l'adresse du relais et le jeton d'API de votre entreprise.")]
    NotLoggedIn,
    #[error(
        "L'adresse du relais doit commencer par https:// (http:// n'est accepté que pour un relais sur cet ordinateur), par exemple https://abonnements.mon-entreprise.fr."
    )]
    InvalidRelayUrl,
    #[error(
        "Le relais est injoignable : vérifiez la connexion Internet du chantier, puis réessayez."
    )]
    RelayUnreachable,
    #[error(
        "Le relais refuse ce jeton d'API : il est erroné ou a été révoqué. Demandez un nouveau jeton à votre administrateur."
    )]
    TokenRefused,
    #[error(
        "Le relais a répondu de façon inattendue ({0}) : réessayez plus tard ou contactez le support."
    )]
    RelayError(String),
    #[error(
        "La réponse du relais n'est pas signée par la clé enregistrée à la connexion : déconnectez-vous puis reconnectez-vous, et prévenez le support si cela se reproduit."
    )]
    UntrustedAnswer,
    #[error(
        "Aucun trousseau de secrets n'est disponible pour garder le jeton ({0}). Sous Linux, installez et déverrouillez GNOME Keyring ou KWallet (service « Secret Service »), puis reconnectez-vous."
    )]
    SecretStoreUnavailable(String),
    #[error(
        "Les données hors ligne ont été modifiées sur le disque et ont été écartées : reconnectez-vous au relais pour les rétablir."
    )]
    CacheTampered,
    #[error("Le plan « {0} » n'existe pas : choisissez Mensuel ou Annuel.")]
    UnknownPlan(String),
    #[error(
        "Votre abonnement se renouvelle déjà automatiquement : rien à payer ici. Pour changer de carte ou arrêter le renouvellement, passez par « Gérer le paiement »."
    )]
    SubscriptionLive,
    #[error(
        "Aucune carte n'est enregistrée chez Stripe pour votre entreprise : choisissez d'abord le renouvellement automatique."
    )]
    NoPaymentMethod,
    #[error("Le navigateur n'a pas pu être ouvert : ouvrez vous-même ce lien pour payer : {0}")]
    BrowserUnavailable(String),
    #[error(
        "Le relais a demandé d'ouvrir une adresse qui n'est ni la sienne ni une page de Stripe ; par sécurité, elle n'a pas été ouverte ({0}). Prévenez le support."
    )]
    UnsafeUrl(String),
    #[error(
        "Impossible d'enregistrer les données de l'application ({0}) : vérifiez l'espace disque."
    )]
    Storage(String),
    #[error("La facture {0} est introuvable : actualisez la liste des factures.")]
    UnknownInvoice(String),
    #[error("Le navigateur n'a pas pu être ouvert : ouvrez vous-même ce lien : {0}")]
    LinkNotOpened(String),
}

impl DesktopError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotLoggedIn => "not_logged_in",
            Self::InvalidRelayUrl => "invalid_relay_url",
            Self::RelayUnreachable => "relay_unreachable",
            Self::TokenRefused => "token_refused",
            Self::RelayError(_) => "relay_error",
            Self::UntrustedAnswer => "untrusted_answer",
            Self::SecretStoreUnavailable(_) => "secret_store_unavailable",
            Self::CacheTampered => "cache_tampered",
            Self::UnknownPlan(_) => "unknown_plan",
            Self::SubscriptionLive => "subscription_live",
            Self::NoPaymentMethod => "no_payment_method",
            Self::BrowserUnavailable(_) => "browser_unavailable",
            Self::UnsafeUrl(_) => "unsafe_url",
            Self::Storage(_) => "storage",
            Self::UnknownInvoice(_) => "unknown_invoice",
            Self::LinkNotOpened(_) => "link_not_opened",
        }
    }
}

/// What the UI receives for an error.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

impl Serialize for DesktopError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ErrorBody {
            code: self.code().into(),
            message: self.to_string(),
        }
        .serialize(s)
    }
}

impl From<std::io::Error> for DesktopError {
    fn from(e: std::io::Error) -> Self {
        Self::Storage(e.kind().to_string())
    }
}
