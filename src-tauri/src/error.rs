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
    #[error(
        "Renseignez d'abord le SIREN de votre entreprise (9 chiffres, sur l'extrait Kbis) : chaque facture électronique doit le porter."
    )]
    SirenRequired,
    /// The relay's own French reason (a wrong check digit, another SIREN already on file).
    #[error("{0}")]
    SirenRefused(String),
}

impl DesktopError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NotLoggedIn => ErrorCode::NotLoggedIn,
            Self::InvalidRelayUrl => ErrorCode::InvalidRelayUrl,
            Self::RelayUnreachable => ErrorCode::RelayUnreachable,
            Self::TokenRefused => ErrorCode::TokenRefused,
            Self::RelayError(_) => ErrorCode::RelayError,
            Self::UntrustedAnswer => ErrorCode::UntrustedAnswer,
            Self::SecretStoreUnavailable(_) => ErrorCode::SecretStoreUnavailable,
            Self::CacheTampered => ErrorCode::CacheTampered,
            Self::UnknownPlan(_) => ErrorCode::UnknownPlan,
            Self::SubscriptionLive => ErrorCode::SubscriptionLive,
            Self::NoPaymentMethod => ErrorCode::NoPaymentMethod,
            Self::BrowserUnavailable(_) => ErrorCode::BrowserUnavailable,
            Self::UnsafeUrl(_) => ErrorCode::UnsafeUrl,
            Self::Storage(_) => ErrorCode::Storage,
            Self::UnknownInvoice(_) => ErrorCode::UnknownInvoice,
            Self::LinkNotOpened(_) => ErrorCode::LinkNotOpened,
            Self::SirenRequired => ErrorCode::SirenRequired,
            Self::SirenRefused(_) => ErrorCode::SirenRefused,
        }
    }
}

/// The stable code of every error the UI can receive. `unknown` is the UI's own, for anything
/// that did not come from a command (it then shows the message it has); a code the relay adds
/// later reaches the UI as `relay_error` with the relay's own French message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    NotLoggedIn,
    InvalidRelayUrl,
    RelayUnreachable,
    TokenRefused,
    RelayError,
    UntrustedAnswer,
    SecretStoreUnavailable,
    CacheTampered,
    UnknownPlan,
    SubscriptionLive,
    NoPaymentMethod,
    BrowserUnavailable,
    UnsafeUrl,
    Storage,
    UnknownInvoice,
    LinkNotOpened,
    SirenRequired,
    SirenRefused,
    Unknown,
}

/// What the UI receives for an error.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct ErrorBody {
    pub code: ErrorCode,
    pub message: String,
}

impl Serialize for DesktopError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ErrorBody {
            code: self.code(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_reaches_the_ui_with_its_code_and_french_message() {
        let body = serde_json::to_value(DesktopError::NotLoggedIn).unwrap();
        assert_eq!(body["code"], "not_logged_in");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("Connectez-vous")
        );
        let relay = serde_json::to_value(DesktopError::RelayError("Plan inconnu.".into())).unwrap();
        assert_eq!(relay["code"], "relay_error");
        assert_eq!(serde_json::to_value(ErrorCode::Unknown).unwrap(), "unknown");
    }
}
