//! The status the desktop app and the pages show, projected from a company's access: whether
//! it is active, pending, expired or never paid, the whole days left, and how it renews.

use erp_btp_protocol::{RenewalMode, RenewalState, SubscriptionState};

use super::renewal::{RenewalPolicy, RenewalRow, access_end};
use super::{DAY, Timestamp};

/// What the status API, the pages and the signed entitlement say of a company at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Projection {
    /// End of access: prepaid time or what automatic renewal gives, the later.
    pub expires_at: Option<i64>,
    pub status: SubscriptionState,
    pub days_remaining: i64,
    pub mode: RenewalMode,
    pub next_charge_at: Option<i64>,
}

/// The projection of a company's access (its prepaid time, its renewal) at `now`, with the
/// margin and grace of `policy`; `payment_pending` while a delayed payment is on its way. Pure.
pub fn project(
    prepaid_until: Option<i64>,
    renewal: &RenewalRow,
    policy: &RenewalPolicy,
    payment_pending: bool,
    now: Timestamp,
) -> Projection {
    let expires_at = access_end(prepaid_until, renewal, policy);
    Projection {
        expires_at,
        status: subscription_state(now, expires_at, payment_pending),
        days_remaining: days_remaining(now, expires_at),
        mode: renewal_mode(renewal, prepaid_until),
        next_charge_at: renewal.next_charge_at(),
    }
}

/// Whole days left before `expires_at`, rounded up, never negative.
pub fn days_remaining(now: Timestamp, expires_at: Option<i64>) -> i64 {
    match expires_at {
        Some(e) if e > now.unix() => (e - now.unix() + DAY - 1) / DAY,
        _ => 0,
    }
}

/// `active` while the expiry is ahead, else `pending` if a delayed payment is on its way,
/// else `expired` if it was ever paid, else `none`.
pub fn subscription_state(
    now: Timestamp,
    expires_at: Option<i64>,
    payment_pending: bool,
) -> SubscriptionState {
    match expires_at {
        Some(e) if e > now.unix() => SubscriptionState::Active,
        _ if payment_pending => SubscriptionState::Pending,
        Some(_) => SubscriptionState::Expired,
        None => SubscriptionState::None,
    }
}

/// How the company renews: `auto` while Stripe holds a subscription that is not cancelled,
/// `once` when it paid without one (prepaid time, or a subscription that stopped), else `none`.
pub fn renewal_mode(renewal: &RenewalRow, prepaid_until: Option<i64>) -> RenewalMode {
    let auto = renewal.subscription_id.is_some()
        && renewal.state.is_some_and(|s| s != RenewalState::Canceled);
    match (auto, prepaid_until.or(renewal.paid_until)) {
        (true, _) => RenewalMode::Auto,
        (false, Some(_)) => RenewalMode::Once,
        (false, None) => RenewalMode::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_unix(1_771_666_200); // 2026-02-21T09:30:00Z
    const T: i64 = NOW.unix();

    #[test]
    fn a_renewing_company_is_active_through_its_margin_and_expired_after() {
        let renewal = RenewalRow {
            subscription_id: Some("sub_1".into()),
            state: Some(RenewalState::Active),
            paid_until: Some(T - DAY),
            current_period_end: Some(T - DAY),
            ..Default::default()
        };
        let policy = RenewalPolicy::default();
        let p = project(None, &renewal, &policy, false, NOW);
        assert_eq!(
            p.expires_at,
            Some(T + DAY),
            "one day of the two-day margin left"
        );
        assert_eq!((p.status, p.days_remaining), (SubscriptionState::Active, 1));
        assert_eq!(
            (p.mode, p.next_charge_at),
            (RenewalMode::Auto, Some(T - DAY))
        );
        let later = project(None, &renewal, &policy, false, NOW.plus(2 * DAY));
        assert_eq!(later.status, SubscriptionState::Expired);
        let prepaid = project(
            Some(T + 9 * DAY),
            &RenewalRow::default(),
            &policy,
            true,
            NOW,
        );
        assert_eq!(
            (prepaid.status, prepaid.days_remaining, prepaid.mode),
            (SubscriptionState::Active, 9, RenewalMode::Once)
        );
    }

    #[test]
    fn days_remaining_rounds_up_and_stops_at_zero() {
        assert_eq!(days_remaining(NOW, Some(T + 30 * DAY)), 30);
        assert_eq!(days_remaining(NOW, Some(T + 1)), 1);
        assert_eq!(days_remaining(NOW, Some(T - 1)), 0);
        assert_eq!(days_remaining(NOW, None), 0);
    }

    #[test]
    fn state_follows_expiry_then_pending_payment() {
        use SubscriptionState::{Active, Expired, Pending};
        assert_eq!(
            subscription_state(NOW, None, false),
            SubscriptionState::None
        );
        assert_eq!(subscription_state(NOW, None, true), Pending);
        assert_eq!(subscription_state(NOW, Some(T + 1), true), Active);
        assert_eq!(subscription_state(NOW, Some(T), false), Expired);
        assert_eq!(subscription_state(NOW, Some(T - 5), true), Pending);
    }

    #[test]
    fn a_live_subscription_renews_automatically_and_a_stopped_one_was_paid_once() {
        let mut row = RenewalRow {
            subscription_id: Some("sub_1".into()),
            state: Some(RenewalState::PastDue),
            paid_until: Some(T),
            ..Default::default()
        };
        assert_eq!(renewal_mode(&row, None), RenewalMode::Auto);
        row.state = Some(RenewalState::Canceled);
        assert_eq!(renewal_mode(&row, None), RenewalMode::Once);
        assert_eq!(
            renewal_mode(&RenewalRow::default(), Some(T)),
            RenewalMode::Once
        );
        assert_eq!(
            renewal_mode(&RenewalRow::default(), None),
            RenewalMode::None
        );
    }
}
