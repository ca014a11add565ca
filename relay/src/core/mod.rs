//! The relay's money and access rules, pure: each one named function over plain data with its
//! unit tests beside it. Nothing here touches a database, the network or a clock: the edges
//! (routes, the writer's batch) read the facts and `Timestamp::now` once, call these rules, and
//! store what they return. A reader checks the rules here, rule by rule:
//! - [`access`]: a company's access as a fold over its stored payments (the renewal rule);
//! - [`status`]: the status the desktop app shows, projected from that access;
//! - [`eligibility`]: what a new checkout may be while a subscription is live, pending, expired;
//! - [`session`]: what news about a Checkout Session means, and whether it may be applied;
//! - [`renewal`]: automatic renewal's margin and grace, and which invoices count;
//! - [`renewal_steps`]: how a paid invoice, a failed charge or a subscription read moves it;
//! - [`reversal`]: when a refund or a chargeback takes a payment's money back, and the access
//!   that remains;
//! - [`refund`]: what the operator may still refund of a facture (`relay refund`);
//! - [`money_news`]: what the company is told about money that went back;
//! - [`event`]: what a Stripe event is ([`event::EventKind`]);
//! - [`rejection`]: why a payment or an event changed nothing ([`rejection::Rejection`]);
//! - [`numbering`] and [`amounts`]: a facture's number and its HT/TVA split;
//! - [`console`]: what the operator console shows of a company, and who may log in;
//! - [`totp`]: the console's optional second factor (RFC 6238 codes);
//! - [`history`]: a company's payments, refunds and disputes with their effect on access;
//! - [`journal`]: what a journalled event did, and whether it may be replayed;
//! - [`revenue`]: revenue per month, net of avoirs.

pub mod access;
pub mod amounts;
pub mod console;
pub mod eligibility;
pub mod event;
pub mod history;
pub mod journal;
pub mod money_news;
pub mod numbering;
pub mod refund;
pub mod rejection;
pub mod renewal;
pub mod renewal_steps;
pub mod revenue;
pub mod reversal;
pub mod session;
pub mod status;
pub mod totp;

use std::fmt;

/// A UTC instant, in whole Unix seconds, as the relay's clock read it at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_unix(secs: i64) -> Self {
        Self(secs)
    }

    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This instant moved by `secs` (negative for earlier), saturating far from any real date.
    pub const fn plus(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One day in seconds: plans and settings count in days, the clock in seconds.
pub const DAY: i64 = 86_400;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_moves_by_seconds_and_never_overflows() {
        let t = Timestamp::from_unix(1_771_666_200);
        assert_eq!(t.plus(DAY).unix(), 1_771_752_600);
        assert!(t.plus(-1) < t);
        assert_eq!(Timestamp::from_unix(i64::MAX).plus(1).unix(), i64::MAX);
    }
}
