//! How each automatic-renewal event moves a company's stored renewal: a paid invoice, a failed
//! charge, the subscription as read from Stripe. Each step takes the stored renewal and the
//! event's facts and returns the renewal to store, or why nothing changes; the writer reads the
//! row, calls the step and writes the result back inside its transaction. Any order of delivery
//! ends in the same state: a paid period only moves `paid_until` forward, a failure counts only
//! for a period not yet paid, a cancelled subscription stays cancelled, an older read of the
//! subscription never lands over a later one.

use erp_btp_protocol::RenewalState;

use super::renewal::{RenewalRow, read_is_newer, state_of};
use crate::domain::PlanId;
use crate::renewal::facts::SubscriptionFacts;

/// A company's renewal as stored: the row the status projection reads, and what only the
/// renewal steps need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredRenewal {
    pub row: RenewalRow,
    pub customer_id: Option<String>,
    /// The plan the company's access was last paid for.
    pub plan: Option<PlanId>,
    /// When the relay had Stripe's answer for the subscription last applied (µs).
    pub read_at: Option<i64>,
}

/// Why a subscription read changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRefused {
    /// A later read of the subscription was applied already (see [`read_is_newer`]).
    Older,
    /// The company renews through another subscription, still live.
    AnotherLive,
}

impl ReadRefused {
    /// The journal's words.
    pub fn reason(self) -> &'static str {
        match self {
            ReadRefused::Older => "older read of the subscription than the one applied",
            ReadRefused::AnotherLive => "the company has another live subscription",
        }
    }
}

/// `invoice.paid` for `subscription` (of `customer`), paying `plan` up to `end`: `paid_until`
/// and the period's end only move forward; the company renews through this subscription if it
/// had none or only a cancelled one; the newest period paid clears a failure.
pub fn invoice_paid(
    stored: &StoredRenewal,
    subscription: Option<&str>,
    customer: Option<&str>,
    plan: &PlanId,
    end: i64,
) -> StoredRenewal {
    let old = &stored.row;
    let newest = old.paid_until.is_none_or(|paid| end >= paid);
    let ours = subscription.is_some() && old.subscription_id.as_deref() == subscription;
    let state = match old.state {
        _ if old.subscription_id.is_none() => Some(RenewalState::Active),
        None => Some(RenewalState::Active),
        Some(RenewalState::Canceled) if subscription.is_some() && !ours => {
            Some(RenewalState::Active)
        }
        Some(RenewalState::PastDue) if ours && newest => Some(RenewalState::Active),
        kept => kept,
    };
    let takes_over = old.subscription_id.is_none() || old.state == Some(RenewalState::Canceled);
    StoredRenewal {
        row: RenewalRow {
            subscription_id: if takes_over {
                subscription.map(str::to_owned)
            } else {
                old.subscription_id.clone()
            },
            state,
            paid_until: old.paid_until.max(Some(end)),
            current_period_end: old.current_period_end.max(Some(end)),
            payment_failed: old.payment_failed && !newest,
            ..old.clone()
        },
        customer_id: stored
            .customer_id
            .clone()
            .or_else(|| customer.map(str::to_owned)),
        plan: Some(plan.clone()),
        read_at: stored.read_at,
    }
}

/// `invoice.payment_failed` for `subscription`'s period ending at `end`: `past_due`, unless
/// that period is paid already (a late event), the invoice was applied (`invoice_applied`), or
/// the subscription is not the company's live one. `None` when nothing changes.
pub fn payment_failed(
    stored: &StoredRenewal,
    subscription: Option<&str>,
    end: i64,
    invoice_applied: bool,
) -> Option<StoredRenewal> {
    let old = &stored.row;
    let live = subscription.is_some()
        && old.subscription_id.as_deref() == subscription
        && matches!(
            old.state,
            Some(RenewalState::Active | RenewalState::PastDue)
        );
    let unpaid = old.paid_until.is_none_or(|paid| paid < end);
    (live && unpaid && !invoice_applied).then(|| StoredRenewal {
        row: RenewalRow {
            state: Some(RenewalState::PastDue),
            payment_failed: true,
            ..old.clone()
        },
        ..stored.clone()
    })
}

/// The subscription as read from Stripe becomes the company's renewal, unless the company
/// renews through another live subscription or a later read was applied already. A cancelled
/// subscription never comes back; a new one replaces a cancelled one.
pub fn subscription_read(
    stored: &StoredRenewal,
    sub: &SubscriptionFacts,
) -> Result<StoredRenewal, ReadRefused> {
    if !read_is_newer(stored.read_at, sub.read_at) {
        return Err(ReadRefused::Older);
    }
    let old = &stored.row;
    let same = old.subscription_id.as_deref() == Some(sub.id.as_str());
    let cancelled = old.state == Some(RenewalState::Canceled);
    if old.subscription_id.is_some() && !same && !cancelled {
        return Err(ReadRefused::AnotherLive);
    }
    let state = if cancelled && same {
        Some(RenewalState::Canceled)
    } else {
        state_of(&sub.status)
    };
    let payment_failed = match state_of(&sub.status) {
        Some(RenewalState::PastDue) => true,
        Some(RenewalState::Active) => false,
        _ => old.payment_failed,
    };
    Ok(StoredRenewal {
        row: RenewalRow {
            subscription_id: Some(sub.id.clone()),
            state,
            paid_until: old.paid_until,
            current_period_end: sub.current_period_end,
            cancel_at_period_end: sub.cancel_at_period_end,
            payment_failed,
            card_last4: sub.card_last4.clone().or_else(|| old.card_last4.clone()),
        },
        customer_id: stored.customer_id.clone().or_else(|| sub.customer.clone()),
        plan: stored.plan.clone(),
        read_at: Some(sub.read_at),
    })
}

#[cfg(test)]
#[path = "renewal_steps_tests.rs"]
mod tests;
