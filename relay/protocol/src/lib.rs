//! Wire types of the relay's HTTP API and the signed entitlement, shared by the relay and the
//! desktop app. Deliberately small: serde and ed25519 only, no server dependencies.

pub mod entitlement;
pub mod fr;

use serde::{Deserialize, Serialize};

pub use entitlement::{ENTITLEMENT_TYP, Entitlement, EntitlementError, EntitlementPayload};

/// One subscription plan as served by `GET /api/stripe/plans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub duration_days: i64,
    pub features: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PlansResponse {
    pub plans: Vec<Plan>,
}

/// Stripe mode of the relay's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StripeMode {
    Test,
    Live,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConfigResponse {
    pub publishable_key: String,
    pub mode: StripeMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckoutRequest {
    pub plan: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckoutResponse {
    pub session_id: String,
    pub url: String,
}

/// Subscription state of one client company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubscriptionState {
    /// Never paid.
    None,
    /// Expires in the future.
    Active,
    /// Was paid once, expiry is past.
    Expired,
    /// Not active, and a delayed payment (e.g. SEPA) is on its way.
    Pending,
}

impl SubscriptionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Active => "active",
            Self::Expired => "expired",
            Self::Pending => "pending",
        }
    }
}

/// Answer of `GET /api/subscription`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionStatus {
    pub client_id: String,
    pub plan: Option<String>,
    pub status: SubscriptionState,
    /// RFC 3339 UTC, absent when the client never paid.
    pub expires_at: Option<String>,
    pub days_remaining: i64,
    pub version: i64,
    pub entitlement: String,
    /// `test` or `live` (added to v1: absent from older relays).
    #[serde(default)]
    pub mode: Option<StripeMode>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicKeyResponse {
    pub key_id: String,
    pub public_key: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RenewLinkResponse {
    pub url: String,
}

/// The one JSON error shape of the relay: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
}
