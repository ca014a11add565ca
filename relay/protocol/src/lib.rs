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
    /// `month` or `year`: the plan renews automatically at that interval. Absent for a plan
    /// sold only once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Interval>,
}

/// A recurring plan's billing interval, as Stripe names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Interval {
    Month,
    Year,
}

impl Interval {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Month => "month",
            Self::Year => "year",
        }
    }
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
    /// `auto` (the default): a Stripe subscription that renews by itself; `once`: one payment.
    #[serde(default)]
    pub renewal: RenewalChoice,
    /// Test mode only: create the company's Stripe customer on this test clock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_clock: Option<String>,
}

/// How a checkout pays: automatic renewal or a one-off payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RenewalChoice {
    #[default]
    Auto,
    Once,
}

/// `renewal.mode` of the status: renewing automatically, prepaid once, or never paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenewalMode {
    Auto,
    Once,
    None,
}

/// `renewal.state`: Stripe's subscription, as far as access goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenewalState {
    Active,
    PastDue,
    Canceled,
}

/// `renewal` in `GET /api/subscription` (added to v1). Times are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenewalStatus {
    pub mode: RenewalMode,
    pub state: Option<RenewalState>,
    /// End of the last period actually paid.
    pub paid_until: Option<String>,
    /// When Stripe charges the card next (absent when nothing will be charged).
    pub next_charge_at: Option<String>,
    pub cancel_at_period_end: bool,
    pub payment_failed: bool,
    pub card_last4: Option<String>,
    /// The latest refund or dispute of the company's payments (added to v1: absent when no
    /// money went back since its latest payment, and from older relays).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub money_back: Option<MoneyBack>,
}

/// What happened to money the company paid: `renewal.money_back`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MoneyBack {
    pub kind: MoneyBackKind,
    /// What a partial refund gave back.
    pub amount_cents: Option<i64>,
    /// When, RFC 3339 UTC.
    pub at: String,
}

/// The kinds of [`MoneyBack`]; a newer relay may send one this app does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoneyBackKind {
    Refunded,
    PartiallyRefunded,
    RefundPending,
    /// A chargeback open at the company's bank: access suspended.
    Disputed,
    DisputeWon,
    DisputeLost,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckoutResponse {
    pub session_id: String,
    pub url: String,
}

/// Subscription state of one client company.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    /// Automatic renewal (added to v1: absent from older relays).
    #[serde(default)]
    pub renewal: Option<RenewalStatus>,
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

/// Answer of `POST /api/billing-portal`: the company's Stripe customer portal session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BillingPortalResponse {
    pub url: String,
}

/// Which document an item of `GET /api/invoices` is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    /// A facture: a payment billed.
    #[default]
    Facture,
    /// An avoir (credit note): money of a facture that went back.
    Avoir,
}

/// Where a document stands with the approved platform (items of `GET /api/invoices`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transmission {
    /// Not transmitted (transmission off, issued before it was on, or still in the outbox).
    #[default]
    NotSent,
    /// The platform took it; no status yet.
    Sent,
    /// The platform refused the flow itself (format, checksum…): the operator must act.
    Failed,
    /// 200 Déposée.
    Deposited,
    /// 202 Reçue (by the buyer's platform) or 203/204.
    Received,
    /// 205 Approuvée (or 206).
    Approved,
    /// 207 En litige.
    Disputed,
    /// 210 Refusée by the buyer.
    Refused,
    /// 213 Rejetée by a platform.
    Rejected,
    /// A state a newer relay sends.
    #[serde(other)]
    Unknown,
}

/// Answer of `GET /api/invoices`: the company's factures and avoirs, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoicesResponse {
    pub invoices: Vec<InvoiceSummary>,
}

/// One facture or avoir issued by the relay (Factur-X), as it was stored when issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSummary {
    /// « FA-2026-000001 ».
    pub number: String,
    /// Date of issue, RFC 3339 UTC.
    pub created: String,
    pub period_start: String,
    pub period_end: String,
    pub amount_excl_tax_cents: i64,
    pub tax_cents: i64,
    pub amount_cents: i64,
    pub currency: String,
    /// `paid`: every facture the relay issues is for a payment already made.
    pub status: String,
    /// Short signed links (a quarter of an hour), for the system browser.
    pub pdf_url: String,
    pub xml_url: String,
    /// Stripe's own page for the payment (« reçu Stripe »), when there is one.
    pub hosted_url: Option<String>,
    /// `facture` or `avoir` (absent from a relay older than avoirs: a facture).
    #[serde(default)]
    pub kind: DocumentKind,
    /// The facture an avoir corrects (« FA-2026-000001 »); null for a facture.
    #[serde(default)]
    pub corrects: Option<String>,
    /// Where it stands with the approved platform (absent from an older relay: not sent).
    #[serde(default)]
    pub transmission: Transmission,
    /// When it last changed there (RFC 3339 UTC); null while not sent.
    #[serde(default)]
    pub transmission_at: Option<String>,
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

/// `POST /api/company/siren`: the company's SIREN, as printed (spaces allowed).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SirenRequest {
    pub siren: String,
}

/// `GET /api/company` and the answer of `POST /api/company/siren`: who the token's company is
/// for its factures. `siren` is null until it is given; no checkout opens before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompanyResponse {
    pub client_id: String,
    pub name: String,
    pub siren: Option<String>,
}
