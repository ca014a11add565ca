//! Automatic renewal's rules, pure: how long access runs for a renewing company (to the paid
//! period's end plus a margin while Stripe renews, plus a grace after a failed charge, exactly
//! to it once renewal stops), how Stripe's subscription status maps to the relay's renewal
//! state, and whether a paid invoice may count for the plan it claims.

pub mod apply;
pub mod facts;

use erp_btp_protocol::{Plan, RenewalState};

use crate::config::{ConfigError, err};
use crate::domain::ClientId;
use crate::plans::Catalogue;
use facts::InvoiceFacts;

const DAY: i64 = 86_400;

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
pub fn owner(holder: Option<ClientId>, named: Option<&str>) -> Result<ClientId, String> {
    let holder = holder.ok_or("customer not created by this relay")?;
    match named {
        Some(named) if named != holder.as_str() => Err(format!(
            "metadata names client {named} but the customer is client {holder}'s"
        )),
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

impl RenewalPolicy {
    pub fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut policy = Self::default();
        if let Some(text) = get("RELAY_RENEWAL_MARGIN") {
            policy.margin = parse_duration(&text).ok_or_else(|| {
                err(
                    "RELAY_RENEWAL_MARGIN",
                    format!("vaut « {text} » : une durée est attendue (ex. 2d, 48h, 30m)"),
                )
            })?;
        }
        if let Some(text) = get("RELAY_GRACE_DAYS") {
            let days: i64 = text
                .trim()
                .parse()
                .ok()
                .filter(|d| (0..=60).contains(d))
                .ok_or_else(|| {
                    err(
                        "RELAY_GRACE_DAYS",
                        format!("vaut « {text} » : un nombre de jours entre 0 et 60 est attendu"),
                    )
                })?;
            policy.grace = days * DAY;
        }
        Ok(policy)
    }
}

/// `90s`, `30m`, `72h`, `2d` (or bare seconds) → seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: i64 = number.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => DAY,
        _ => return None,
    };
    n.checked_mul(unit)
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
) -> Result<(&'a Plan, i64), String> {
    let plan_id = inv
        .plan
        .as_deref()
        .ok_or("no plan in the subscription's metadata")?;
    let plan = plans
        .get(plan_id)
        .ok_or_else(|| format!("unknown plan {plan_id}"))?;
    if inv.currency.as_deref() != Some(plan.currency.as_str()) {
        return Err(format!(
            "currency {:?} does not match plan {}",
            inv.currency, plan.id
        ));
    }
    let deferred = inv.amount_paid == 0 && inv.amount_due == 0;
    if inv.amount_paid != plan.price_cents && !deferred {
        return Err(format!(
            "amount {} does not match plan {} ({} cents)",
            inv.amount_paid, plan.id, plan.price_cents
        ));
    }
    let (_, end) = inv.line_period.ok_or("invoice line has no period")?;
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
                .contains("metadata names client 40")
        );
        assert!(
            owner(None, Some("39"))
                .unwrap_err()
                .contains("not created by this relay"),
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
    fn durations_read_as_an_operator_writes_them() {
        assert_eq!(parse_duration("72h"), Some(72 * 3600));
        assert_eq!(parse_duration("2d"), Some(2 * DAY));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("2 days"), None);
        assert_eq!(parse_duration("h"), None);
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
        };
        assert_eq!(check_invoice(&inv, &plans).unwrap().1, P + 30 * DAY);
        inv.amount_paid = 100;
        assert!(check_invoice(&inv, &plans).unwrap_err().contains("amount"));
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
