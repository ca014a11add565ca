//! Automatic renewal's rules: how long access runs for a renewing company (to the paid period's
//! end plus a margin while Stripe renews, plus a grace after a failed charge, exactly to it once
//! renewal stops), how Stripe's subscription status maps to the relay's renewal state, which
//! company an invoice or subscription is for, and whether a paid invoice may count for the plan
//! it claims.

use erp_btp_protocol::{Plan, RenewalState};

use super::DAY;
use super::rejection::Rejection;
use crate::domain::ClientId;
use crate::plans::Catalogue;
use crate::renewal::facts::InvoiceFacts;

/// Whether a subscription read at `read_at` may be applied over the one read at `stored`: each
/// `customer.subscription.*` notification reads the subscription before the writer applies it,
/// so reads can reach the writer in any order, and only a later one may win (the event's own
/// `created` cannot order them: the state comes from the read). Pure.
pub fn read_is_newer(stored: Option<i64>, read_at: i64) -> bool {
    stored.is_none_or(|stored| read_at > stored)
}

/// The company an invoice or subscription is for: the holder of its Stripe customer, which the
/// relay created for that company. Metadata may name it too (a subscription's is set at
/// checkout), but never decides: a payer can write metadata, not the relay's customers. Pure.
pub fn owner(holder: Option<ClientId>, named: Option<&str>) -> Result<ClientId, Rejection> {
    let holder = holder.ok_or(Rejection::CustomerNotOurs)?;
    match named {
        Some(named) if named != holder.as_str() => Err(Rejection::CustomerMismatch {
            named: named.to_owned(),
            holder: holder.to_string(),
        }),
        _ => Ok(holder),
    }
}

/// `RELAY_RENEWAL_MARGIN` and `RELAY_GRACE_DAYS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenewalPolicy {
    /// Seconds of access past the paid period while renewal is on: Stripe finalises a renewal
    /// invoice about an hour after the period ends, and may retry.
    pub margin: i64,
    /// Seconds of access past the paid period after a renewal charge failed.
    pub grace: i64,
}

impl Default for RenewalPolicy {
    fn default() -> Self {
        Self {
            margin: 2 * DAY,
            grace: 7 * DAY,
        }
    }
}

/// What the relay stores of a company's automatic renewal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenewalRow {
    pub subscription_id: Option<String>,
    pub state: Option<RenewalState>,
    pub paid_until: Option<i64>,
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub payment_failed: bool,
    pub card_last4: Option<String>,
}

impl RenewalRow {
    /// A subscription that Stripe will still charge or retry.
    pub fn is_live(&self) -> bool {
        self.subscription_id.is_some()
            && matches!(
                self.state,
                Some(RenewalState::Active | RenewalState::PastDue)
            )
    }

    /// End of access that renewal gives: the paid period, plus the margin while Stripe will
    /// renew it, plus the grace while a failed charge is retried; exactly the period once
    /// renewal is cancelled or stopped.
    pub fn access_end(&self, policy: &RenewalPolicy) -> Option<i64> {
        let paid = self.paid_until?;
        Some(match self.state {
            Some(RenewalState::PastDue) if !self.cancel_at_period_end => paid + policy.grace,
            Some(RenewalState::Active) if !self.cancel_at_period_end => paid + policy.margin,
            _ => paid,
        })
    }

    /// When Stripe charges next: the period's end, while renewing and not cancelled.
    pub fn next_charge_at(&self) -> Option<i64> {
        match self.state {
            Some(RenewalState::Active) if !self.cancel_at_period_end => self.current_period_end,
            _ => None,
        }
    }
}

/// End of access: the later of prepaid one-off time and what renewal gives.
pub fn access_end(once: Option<i64>, renewal: &RenewalRow, policy: &RenewalPolicy) -> Option<i64> {
    once.max(renewal.access_end(policy))
}

/// Stripe's subscription status as a renewal state: `None` while the first payment is still
/// incomplete.
pub fn state_of(stripe_status: &str) -> Option<RenewalState> {
    match stripe_status {
        "active" | "trialing" => Some(RenewalState::Active),
        "past_due" | "unpaid" => Some(RenewalState::PastDue),
        "canceled" | "incomplete_expired" | "paused" => Some(RenewalState::Canceled),
        _ => None,
    }
}

pub fn state_word(state: RenewalState) -> &'static str {
    match state {
        RenewalState::Active => "active",
        RenewalState::PastDue => "past_due",
        RenewalState::Canceled => "canceled",
    }
}

pub fn parse_state(text: &str) -> Option<RenewalState> {
    match text {
        "active" => Some(RenewalState::Active),
        "past_due" => Some(RenewalState::PastDue),
        "canceled" => Some(RenewalState::Canceled),
        _ => None,
    }
}

/// A paid invoice counts when it names a known plan, its currency is the plan's and it paid
/// the plan's price (or nothing, for the zero invoice of a first charge deferred to the end of
/// prepaid time), and its line has a period. Returns the plan and the period's end.
pub fn check_invoice<'a>(
    inv: &InvoiceFacts,
    plans: &'a Catalogue,
) -> Result<(&'a Plan, i64), Rejection> {
    let plan_id = inv
        .plan
        .as_deref()
        .ok_or(Rejection::NoPlan { subscription: true })?;
    let plan = plans
        .get(plan_id)
        .ok_or_else(|| Rejection::UnknownPlan(plan_id.to_owned()))?;
    if inv.currency.as_deref() != Some(plan.currency.as_str()) {
        return Err(Rejection::WrongCurrency {
            currency: inv.currency.clone(),
            plan: plan.id.clone(),
            expected: plan.currency.clone(),
        });
    }
    let deferred = inv.amount_paid == 0 && inv.amount_due == 0;
    if inv.amount_paid != plan.price_cents && !deferred {
        return Err(Rejection::WrongAmount {
            amount: Some(inv.amount_paid),
            plan: plan.id.clone(),
            price_cents: plan.price_cents,
        });
    }
    let (_, end) = inv.line_period.ok_or(Rejection::NoPeriod)?;
    Ok((plan, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: i64 = 1_790_000_000;

    #[test]
    fn only_a_later_read_of_the_subscription_is_applied() {
        assert!(read_is_newer(None, 5));
        assert!(read_is_newer(Some(4), 5));
        assert!(
            !read_is_newer(Some(5), 5),
            "two reads in one microsecond: the first stays"
        );
        assert!(!read_is_newer(Some(6), 5), "an older read landing last");
    }

    #[test]
    fn the_customer_decides_the_company_and_metadata_may_only_agree() {
        let c39 = ClientId::parse("39");
        assert_eq!(owner(c39.clone(), None), Ok(c39.clone().unwrap()));
        assert_eq!(owner(c39.clone(), Some("39")), Ok(c39.clone().unwrap()));
        assert!(
            owner(c39, Some("40"))
                .unwrap_err()
                .to_string()
                .contains("metadata names client 40")
        );
        assert!(
            owner(None, Some("39")).unwrap_err() == Rejection::CustomerNotOurs,
            "metadata alone names nobody"
        );
    }

    fn row(state: RenewalState, cancel: bool) -> RenewalRow {
        RenewalRow {
            subscription_id: Some("sub_1".into()),
            state: Some(state),
            paid_until: Some(P),
            current_period_end: Some(P),
            cancel_at_period_end: cancel,
            ..Default::default()
        }
    }

    #[test]
    fn access_runs_to_the_paid_period_plus_margin_or_grace_or_nothing() {
        let policy = RenewalPolicy::default();
        assert_eq!(
            row(RenewalState::Active, false).access_end(&policy),
            Some(P + 2 * DAY)
        );
        assert_eq!(
            row(RenewalState::PastDue, false).access_end(&policy),
            Some(P + 7 * DAY)
        );
        assert_eq!(row(RenewalState::Active, true).access_end(&policy), Some(P));
        assert_eq!(
            row(RenewalState::Canceled, false).access_end(&policy),
            Some(P)
        );
        assert_eq!(RenewalRow::default().access_end(&policy), None);
        assert_eq!(
            access_end(
                Some(P + 9 * DAY),
                &row(RenewalState::Active, false),
                &policy
            ),
            Some(P + 9 * DAY)
        );
    }

    #[test]
    fn only_a_renewing_subscription_has_a_next_charge_and_is_live() {
        assert_eq!(row(RenewalState::Active, false).next_charge_at(), Some(P));
        assert_eq!(row(RenewalState::Active, true).next_charge_at(), None);
        assert!(row(RenewalState::PastDue, false).is_live());
        assert!(!row(RenewalState::Canceled, false).is_live());
    }

    #[test]
    fn an_invoice_must_pay_the_plan_it_names() {
        let plans = Catalogue::default();
        let mut inv = InvoiceFacts {
            id: "in_1".into(),
            subscription: Some("sub_1".into()),
            customer: None,
            client_id: Some("39".into()),
            plan: Some("mensuel".into()),
            status: Some("paid".into()),
            amount_paid: 4900,
            amount_due: 4900,
            currency: Some("eur".into()),
            line_period: Some((P, P + 30 * DAY)),
            hosted_url: None,
            paid_at: None,
            livemode: false,
            buyer: None,
            payment_intent: None,
        };
        assert_eq!(check_invoice(&inv, &plans).unwrap().1, P + 30 * DAY);
        inv.amount_paid = 100;
        assert_eq!(
            check_invoice(&inv, &plans).unwrap_err().code(),
            "wrong_amount"
        );
        inv.amount_paid = 0;
        inv.amount_due = 0;
        assert!(
            check_invoice(&inv, &plans).is_ok(),
            "a deferred first charge"
        );
        inv.plan = Some("hebdo".into());
        assert!(check_invoice(&inv, &plans).is_err());
    }
}
