//! Money going back (DESIGN.md, « Money going back »): whether a payment's money went back as
//! far as access is concerned — a full refund (one refund of the whole amount, or partial
//! refunds adding up to it) or a chargeback not won — and the access that remains. After a full
//! refund at time r of payment p,
//! `expires = max(fold(payments − {p}), min(r, fold(payments)))`: the remaining payments folded
//! by the renewal rule, never earlier than the refund while p's access was running. So a future
//! prepaid period is removed whole, a period in progress ends at r, a past period changes
//! nothing. A refund that fails, or a chargeback won, gives the period back: access is always
//! folded again from the payments and what is still reversed. Pure.

use super::access::{Access, Payment, fold};

/// A refund's status as Stripe reports it (`refund.created` / `refund.updated` / `refund.failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
}

impl RefundStatus {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "pending" => Self::Pending,
            "requires_action" => Self::RequiresAction,
            "succeeded" => Self::Succeeded,
            "failed" => Self::Failed,
            "canceled" => Self::Canceled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::RequiresAction => "requires_action",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Access is removed when the refund is created, and given back if it fails.
    pub fn takes_money_back(self) -> bool {
        !matches!(self, Self::Failed | Self::Canceled)
    }

    /// How far along a refund is: waiting, then succeeded, then failed or canceled (a refund
    /// may fail after it succeeded, never succeed after it failed).
    fn rank(self) -> u8 {
        match self {
            Self::Pending | Self::RequiresAction => 0,
            Self::Succeeded => 1,
            Self::Failed | Self::Canceled => 2,
        }
    }

    /// Whether a refund stored at `stored` (`None`: not seen yet) moves to `incoming`: only
    /// forward, so that an older notification delivered late changes nothing.
    pub fn moves(stored: Option<Self>, incoming: Self) -> bool {
        stored.is_none_or(|s| incoming.rank() > s.rank())
    }
}

/// A dispute's status as Stripe reports it (`charge.dispute.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeStatus {
    /// An inquiry (`warning_needs_response`, `warning_under_review`, `warning_closed`): no money
    /// moved yet.
    Inquiry,
    /// A chargeback still open (`needs_response`, `under_review`).
    Open,
    Won,
    Lost,
    /// Stripe's protection resolved it before it became a chargeback.
    Prevented,
}

impl DisputeStatus {
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "warning_needs_response" | "warning_under_review" | "warning_closed" => Self::Inquiry,
            "needs_response" | "under_review" => Self::Open,
            "won" => Self::Won,
            "lost" => Self::Lost,
            "prevented" => Self::Prevented,
            _ => return None,
        })
    }

    /// A chargeback suspends the payment's remaining period until it is won.
    pub fn takes_money_back(self) -> bool {
        matches!(self, Self::Open | Self::Lost)
    }

    /// The meaning's own word, as stored beside Stripe's status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inquiry => "inquiry",
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
            Self::Prevented => "prevented",
        }
    }

    /// [`Self::as_str`] back.
    pub fn from_word(word: &str) -> Option<Self> {
        [
            Self::Inquiry,
            Self::Open,
            Self::Won,
            Self::Lost,
            Self::Prevented,
        ]
        .into_iter()
        .find(|s| s.as_str() == word)
    }

    /// What a reported status means: a SEPA chargeback cannot be contested, so an open one is
    /// already lost.
    pub fn effective(self, sepa: bool) -> Self {
        match (self, sepa) {
            (Self::Open, true) => Self::Lost,
            (status, _) => status,
        }
    }

    /// How far along Stripe's dispute `status` is: an inquiry, its review and close, then a
    /// chargeback, its review, then its end (an inquiry may become a chargeback; an ended
    /// dispute never moves again). Unknown statuses come first.
    fn rank(status: &str) -> u8 {
        match status {
            "warning_needs_response" => 1,
            "warning_under_review" => 2,
            "warning_closed" => 3,
            "needs_response" => 4,
            "under_review" => 5,
            "won" | "lost" | "prevented" => 6,
            _ => 0,
        }
    }

    /// Whether a dispute stored at Stripe's `stored` status (`None`: not seen yet) moves to
    /// `incoming`: only forward, so that an older notification delivered late changes nothing.
    pub fn moves(stored: Option<&str>, incoming: &str) -> bool {
        stored.is_none_or(|s| Self::rank(incoming) > Self::rank(s))
    }
}

/// One refund of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refund {
    pub amount: i64,
    pub status: RefundStatus,
    /// When Stripe created it (Unix seconds).
    pub created: i64,
}

/// One dispute of a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dispute {
    pub status: DisputeStatus,
    pub created: i64,
}

/// A lost dispute's avoir reason, in French, with Stripe's reason code.
pub fn dispute_avoir_reason(stripe_reason: Option<&str>) -> String {
    let why = match stripe_reason {
        Some("fraudulent") => " (paiement déclaré frauduleux)",
        Some("duplicate") => " (paiement en double)",
        Some("subscription_canceled") => " (abonnement résilié)",
        Some("product_unacceptable" | "product_not_received") => " (service contesté)",
        Some("credit_not_processed") => " (remboursement attendu)",
        _ => "",
    };
    format!("Contestation perdue auprès de la banque{why}")
}

/// An avoir's reason, in French: the operator's own words when the refund carries them
/// (`relay refund --reason`), else what Stripe's reason means.
pub fn avoir_reason(stripe_reason: Option<&str>, note: Option<&str>) -> String {
    if let Some(note) = note.map(str::trim).filter(|n| !n.is_empty()) {
        return format!("Remboursement : {note}");
    }
    match stripe_reason {
        Some("duplicate") => "Remboursement d'un paiement en double".into(),
        Some("fraudulent") => "Remboursement d'un paiement frauduleux".into(),
        Some("requested_by_customer") => "Remboursement à la demande du client".into(),
        _ => "Remboursement".into(),
    }
}

/// One payment, with what went back of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    pub payment: Payment,
    /// When the relay applied it (Unix seconds).
    pub at: i64,
    pub amount: i64,
    pub refunds: Vec<Refund>,
    pub disputes: Vec<Dispute>,
}

/// A company's access from its payments (in the order they were applied) and what went back
/// of each: [`reversed_at`] for each payment, then [`access_after`].
pub fn access_of(paid: &[Paid]) -> Access {
    let payments: Vec<Payment> = paid.iter().map(|p| p.payment).collect();
    let reversed: Vec<Option<i64>> = paid
        .iter()
        .map(|p| reversed_at(p.amount, &p.refunds, &p.disputes))
        .collect();
    access_after(&payments, &reversed)
}

/// When a payment of `amount` went back as far as access is concerned, if it did: the refund
/// that completed a full refund (a partial one is a commercial gesture and changes nothing), or
/// the chargeback not won, whichever came first.
pub fn reversed_at(amount: i64, refunds: &[Refund], disputes: &[Dispute]) -> Option<i64> {
    let mut live: Vec<&Refund> = refunds
        .iter()
        .filter(|r| r.status.takes_money_back())
        .collect();
    live.sort_by_key(|r| r.created);
    let mut refunded = 0;
    let full = live.into_iter().find_map(|r| {
        refunded += r.amount;
        (refunded >= amount).then_some(r.created)
    });
    let chargeback = disputes
        .iter()
        .filter(|d| d.status.takes_money_back())
        .map(|d| d.created)
        .min();
    full.into_iter().chain(chargeback).min()
}

/// The access `payments` (in the order they were applied) leave once the money of some went
/// back: `reversed[i]` is when payment i's went back (see [`reversed_at`]), `None` if it did not.
/// Reversals apply in time order, each by the rule above.
pub fn access_after(payments: &[Payment], reversed: &[Option<i64>]) -> Access {
    let mut order: Vec<(i64, usize)> = reversed
        .iter()
        .enumerate()
        .filter_map(|(i, at)| at.map(|at| (at, i)))
        .collect();
    order.sort_unstable();
    let mut gone = vec![false; payments.len()];
    let mut access = fold(payments.iter().copied());
    for (at, index) in order {
        gone[index] = true;
        let rest = fold(
            payments
                .iter()
                .zip(&gone)
                .filter(|(_, gone)| !**gone)
                .map(|(p, _)| *p),
        );
        let floor = |end: Option<i64>| end.map(|end| end.min(at));
        access = Access {
            prepaid_until: rest.prepaid_until.max(floor(access.prepaid_until)),
            paid_until: rest.paid_until.max(floor(access.paid_until)),
        };
    }
    access
}

#[cfg(test)]
#[path = "reversal_tests.rs"]
mod tests;
