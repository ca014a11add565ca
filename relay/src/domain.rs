//! Domain types: identifiers that cannot be mixed up, the states a Checkout Session goes
//! through, what the payment rules know of a session and of its buyer. The rules over them are
//! in [`crate::core`].

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! string_id {
    ($name:ident, $what:literal) => {
        #[doc = $what]
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// So that maps keyed by the id are looked up by a `&str`.
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_id!(
    ClientId,
    "A client company's identifier, chosen by the operator (`relay clients add --id`)."
);
string_id!(SessionId, "A Stripe Checkout Session id (`cs_…`).");
string_id!(
    PlanId,
    "A plan of the catalogue (`mensuel`, `annuel`…), as sessions, subscriptions and factures store it."
);

impl ClientId {
    /// 1 to 64 characters among letters, digits, `-` and `_`.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = (1..=64).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }
}

impl PlanId {
    /// The id of a catalogue plan.
    pub fn of(plan: &erp_btp_protocol::Plan) -> Self {
        Self(plan.id.clone())
    }

    /// A plan id as the relay stored it; the catalogue checks ids when it loads (non-empty,
    /// unique), so only emptiness is refused here.
    pub fn parse(text: &str) -> Option<Self> {
        (!text.is_empty()).then(|| Self(text.to_owned()))
    }
}

impl SessionId {
    /// Stripe's Checkout Session ids start with `cs_`; anything else is not ours to look up.
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.starts_with("cs_")
            && text.len() <= 255
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        ok.then(|| Self(text.to_owned()))
    }
}

/// Enums stored or received as one lowercase word, with that word both ways.
macro_rules! word_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $word:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $word),* }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($word => Some(Self::$variant),)* _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

word_enum!(
    /// The relay's record of a Checkout Session (`checkout_sessions.state`). A session leaves
    /// `open` or `pending` at most once; the other states are final.
    SessionState {
        Open => "open",
        Pending => "pending",
        Fulfilled => "fulfilled",
        Failed => "failed",
        Expired => "expired",
        Rejected => "rejected",
    }
);

word_enum!(
    /// Stripe's `payment_status` of a Checkout Session.
    PaymentStatus {
        Paid => "paid",
        Unpaid => "unpaid",
        NoPaymentRequired => "no_payment_required",
    }
);

word_enum!(
    /// Stripe's `status` of a Checkout Session.
    CheckoutStatus {
        Open => "open",
        Complete => "complete",
        Expired => "expired",
    }
);

word_enum!(
    /// Which Stripe served a payment: the in-process sandbox, or Stripe in test or live mode.
    PaymentOrigin {
        Sandbox => "sandbox",
        Test => "test",
        Live => "live",
    }
);

impl PaymentOrigin {
    /// Whether objects from this Stripe carry `livemode: true`: only a live key's do (the
    /// sandbox, like Stripe in test mode, answers `false`).
    pub fn is_live(self) -> bool {
        self == PaymentOrigin::Live
    }
}

/// An object whose `livemode` differs from the relay's keys: test money on a live relay (which
/// must grant nothing, or a test secret left in the list would give free access), or real money
/// on a test relay (taken, and to be refunded by hand).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeMismatch {
    /// The object said `livemode: true` (real money reached a test relay).
    pub live_money: bool,
}

impl ModeMismatch {
    /// `None` when every `livemode` seen agrees with the relay's origin. Pure.
    pub fn check(origin: PaymentOrigin, livemodes: &[bool]) -> Option<Self> {
        livemodes
            .iter()
            .find(|live| **live != origin.is_live())
            .map(|live| Self { live_money: *live })
    }

    /// The reason journalled with the event.
    pub fn reason(self) -> &'static str {
        match self.live_money {
            true => "livemode true on a test-mode relay (real money taken, nothing granted)",
            false => "livemode false on a live relay (test money grants nothing)",
        }
    }
}

/// What the payment rules need to know of a Checkout Session, from an event or from the API.
/// Fields stay optional: a webhook is read leniently, whatever API version the account sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionFacts {
    pub id: SessionId,
    /// `metadata.client_id`, else `client_reference_id`.
    pub client_id: Option<String>,
    pub plan: Option<String>,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    /// `None` when Stripe sent a value this relay does not know.
    pub payment_status: Option<PaymentStatus>,
    pub status: Option<CheckoutStatus>,
    /// Stripe's `livemode`; an object of the other mode is refused (see [`ModeMismatch`]).
    pub livemode: bool,
    /// A session in mode `subscription`: the subscription it started (empty until paid).
    pub subscription: Option<String>,
    /// The billing address and VAT number the page collected, for the facture.
    pub buyer: Option<BuyerDetails>,
    /// The PaymentIntent that paid it (`pi_…`): what a refund or a dispute names.
    pub payment_intent: Option<String>,
}

/// What the relay stored of a session when it created it, and its state since.
#[derive(Debug, Clone)]
pub struct StoredSession {
    pub client_id: String,
    pub plan: PlanId,
    pub state: SessionState,
    /// A session in mode `subscription`.
    pub recurring: bool,
}

/// What the payment success page says of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentResult {
    Applied,
    Pending,
    Failed,
    Rejected,
    Unfinished,
    Unknown,
    /// Stripe could not be asked (unreachable, or the look-up budget is spent).
    Unverified,
    Busy,
}

/// The billing details Stripe collected at checkout (address, VAT number), kept on the facture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerDetails {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// A VAT number that belongs to the buyer's SIREN; one that does not is left out.
    pub vat: Option<String>,
}

impl BuyerDetails {
    /// From Stripe's `address` object and `tax_ids` list (`[{"type": "eu_vat", "value"}]`), as
    /// a session's `customer_details` or an invoice's `customer_address` / `customer_tax_ids`
    /// carry them; `None` when Stripe collected nothing.
    pub fn from_stripe(
        address: Option<&serde_json::Value>,
        tax_ids: Option<&serde_json::Value>,
    ) -> Option<Self> {
        let field = |k: &str| {
            address
                .and_then(|a| a.get(k))
                .and_then(serde_json::Value::as_str)
                .map(|v| v.chars().take(200).collect::<String>())
                .filter(|v| !v.trim().is_empty())
        };
        let vat = tax_ids
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| t.get("type").and_then(serde_json::Value::as_str) == Some("eu_vat"))
            .and_then(|t| t.get("value")?.as_str())
            .map(|v| v.chars().take(40).collect::<String>());
        let d = Self {
            line1: field("line1"),
            line2: field("line2"),
            postal_code: field("postal_code"),
            city: field("city"),
            country: field("country"),
            vat,
        };
        (d != Self::default()).then_some(d)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain strings")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_object_of_the_other_mode_is_a_mismatch_both_ways() {
        use PaymentOrigin::{Live, Sandbox, Test};
        assert_eq!(ModeMismatch::check(Live, &[true, true]), None);
        assert_eq!(ModeMismatch::check(Test, &[false]), None);
        assert_eq!(ModeMismatch::check(Sandbox, &[]), None);
        assert_eq!(
            ModeMismatch::check(Live, &[true, false]),
            Some(ModeMismatch { live_money: false }),
            "a test object on a live relay, even inside a live event"
        );
        assert_eq!(
            ModeMismatch::check(Test, &[true]),
            Some(ModeMismatch { live_money: true })
        );
        assert_eq!(
            ModeMismatch::check(Sandbox, &[false, true]),
            Some(ModeMismatch { live_money: true })
        );
    }

    #[test]
    fn ids_are_validated() {
        assert!(ClientId::parse("39").is_some());
        assert!(ClientId::parse("").is_none());
        assert!(ClientId::parse("a b").is_none());
        assert!(SessionId::parse("cs_test_abc").is_some());
        assert!(SessionId::parse("pi_123").is_none());
        assert!(SessionId::parse("cs_x'; drop").is_none());
    }

    #[test]
    fn states_read_back_what_they_write() {
        for state in [
            SessionState::Open,
            SessionState::Pending,
            SessionState::Fulfilled,
            SessionState::Failed,
            SessionState::Expired,
            SessionState::Rejected,
        ] {
            assert_eq!(SessionState::parse(state.as_str()), Some(state));
        }
        assert_eq!(PaymentStatus::parse("paid"), Some(PaymentStatus::Paid));
        assert_eq!(PaymentStatus::parse("PAID"), None);
    }
}
