//! The payment rules of a Checkout Session: what a piece of news about it means (fulfil it,
//! move its state, or ignore it), whether a paid session matches the plan it claims, and whether
//! the session is the relay's to apply. `fulfil` applies these decisions inside a transaction.

use erp_btp_protocol::Plan;

use super::event::SessionNews;
use super::rejection::Rejection;
use crate::domain::{
    CheckoutStatus, ClientId, PaymentStatus, SessionFacts, SessionState, StoredSession,
};
use crate::plans::Catalogue;

/// What the relay was told about a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum News {
    Completed,
    AsyncSucceeded,
    AsyncFailed,
    Expired,
    LookedUp,
}

impl From<SessionNews> for News {
    fn from(news: SessionNews) -> Self {
        match news {
            SessionNews::Completed => Self::Completed,
            SessionNews::AsyncSucceeded => Self::AsyncSucceeded,
            SessionNews::AsyncFailed => Self::AsyncFailed,
            SessionNews::Expired => Self::Expired,
        }
    }
}

/// A guarded move of a session's state: taken only from one of `from` (an unknown session
/// counts as `open`). `visible` moves bump the subscription's version so that waiting apps see
/// them (a pending or failed delayed payment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: &'static [SessionState],
    pub to: SessionState,
    pub reason: Option<String>,
    pub visible: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision<'a> {
    /// The money is there and matches the plan: extend the subscription, once.
    Fulfil {
        client: ClientId,
        plan: &'a Plan,
    },
    /// A subscription checkout is paid: link the company to its Stripe subscription, once;
    /// access comes from the subscription's paid invoices, never from the session itself.
    Link {
        client: ClientId,
    },
    Move(Transition),
    /// The session does not pay what it claims: recorded as `rejected` from `open` or `pending`.
    Reject(Rejection),
    Ignore(String),
}

const OPEN: &[SessionState] = &[SessionState::Open];
/// The states a payment may leave: a paid or rejected session was `open` or `pending`.
pub const OPEN_OR_PENDING: &[SessionState] = &[SessionState::Open, SessionState::Pending];

/// What `news` about a session means, by the payment rules. Pure.
pub fn decide<'a>(news: News, facts: &SessionFacts, plans: &'a Catalogue) -> Decision<'a> {
    // A subscription whose first charge waits for prepaid time is complete with nothing paid.
    let paid = facts.payment_status == Some(PaymentStatus::Paid)
        || (facts.subscription.is_some()
            && facts.payment_status == Some(PaymentStatus::NoPaymentRequired));
    let settled = matches!(news, News::Completed | News::LookedUp);
    let moved = |from, to, reason: Option<&str>, visible| {
        Decision::Move(Transition {
            from,
            to,
            reason: reason.map(str::to_owned),
            visible,
        })
    };
    match news {
        _ if (settled && paid) || news == News::AsyncSucceeded => {
            match check_payment(facts, plans) {
                Ok((client, _)) if facts.subscription.is_some() => Decision::Link { client },
                Ok((client, plan)) => Decision::Fulfil { client, plan },
                Err(rejection) => Decision::Reject(rejection),
            }
        }
        _ if settled
            && facts.payment_status == Some(PaymentStatus::Unpaid)
            && facts.status != Some(CheckoutStatus::Open) =>
        {
            moved(OPEN, SessionState::Pending, None, true)
        }
        News::AsyncFailed => moved(
            OPEN_OR_PENDING,
            SessionState::Failed,
            Some("delayed payment failed"),
            true,
        ),
        News::Expired => moved(OPEN, SessionState::Expired, None, false),
        News::LookedUp => Decision::Ignore(format!(
            "session is {} and {}",
            facts.status.map_or("?", CheckoutStatus::as_str),
            facts.payment_status.map_or("?", PaymentStatus::as_str)
        )),
        _ => Decision::Ignore(format!(
            "payment_status {}",
            facts.payment_status.map_or("?", PaymentStatus::as_str)
        )),
    }
}

/// Checks a paid session against the plan catalogue: known plan, exact amount and currency,
/// well-formed client id. Pure; whether the client exists is asked of the database after.
pub fn check_payment<'a>(
    facts: &SessionFacts,
    plans: &'a Catalogue,
) -> Result<(ClientId, &'a Plan), Rejection> {
    let client = facts
        .client_id
        .as_deref()
        .and_then(ClientId::parse)
        .ok_or(Rejection::NoClient)?;
    let plan_id = facts.plan.as_deref().ok_or(Rejection::NoPlan {
        subscription: false,
    })?;
    let plan = plans
        .get(plan_id)
        .ok_or_else(|| Rejection::UnknownPlan(plan_id.to_owned()))?;
    let deferred = facts.subscription.is_some() && facts.amount_total == Some(0);
    if facts.amount_total != Some(plan.price_cents) && !deferred {
        return Err(Rejection::WrongAmount {
            amount: facts.amount_total,
            plan: plan.id.clone(),
            price_cents: plan.price_cents,
        });
    }
    if facts.currency.as_deref() != Some(plan.currency.as_str()) {
        return Err(Rejection::WrongCurrency {
            currency: facts.currency.clone(),
            plan: plan.id.clone(),
            expected: plan.currency.clone(),
        });
    }
    Ok((client, plan))
}

/// Whether news about a session is the relay's to apply: only a session it stored when it
/// created it, for the company and plan stored then (a payer controls a Payment Link's
/// `client_reference_id` and could forge metadata on sessions of their own). The stored state
/// when it agrees. Pure.
pub fn agrees_with_stored(
    stored: Option<&StoredSession>,
    facts: &SessionFacts,
) -> Result<SessionState, Rejection> {
    let stored = stored.ok_or(Rejection::SessionNotOurs)?;
    let (client, plan) = (facts.client_id.as_deref(), facts.plan.as_deref());
    if client != Some(stored.client_id.as_str()) || plan != Some(stored.plan.as_str()) {
        return Err(Rejection::SessionDisagrees {
            client: client.map(str::to_owned),
            plan: plan.map(str::to_owned),
            stored_client: stored.client_id.clone(),
            stored_plan: stored.plan.to_string(),
        });
    }
    Ok(stored.state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SessionId;

    fn facts(amount: i64, currency: &str, plan: &str, client: &str) -> SessionFacts {
        SessionFacts {
            id: SessionId::parse("cs_test_1").unwrap(),
            client_id: Some(client.into()),
            plan: Some(plan.into()),
            amount_total: Some(amount),
            currency: Some(currency.into()),
            payment_status: Some(PaymentStatus::Paid),
            status: Some(CheckoutStatus::Complete),
            livemode: false,
            subscription: None,
            buyer: None,
            payment_intent: None,
        }
    }

    #[test]
    fn a_payment_must_match_the_plan_exactly() {
        let plans = Catalogue::default();
        assert!(check_payment(&facts(4900, "eur", "mensuel", "39"), &plans).is_ok());
        assert!(
            check_payment(&facts(4899, "eur", "mensuel", "39"), &plans)
                .unwrap_err()
                .code()
                == "wrong_amount"
        );
        assert!(
            check_payment(&facts(4900, "usd", "mensuel", "39"), &plans)
                .unwrap_err()
                .to_string()
                .contains("currency")
        );
        assert!(
            check_payment(&facts(4900, "eur", "hebdo", "39"), &plans)
                .unwrap_err()
                .to_string()
                .contains("unknown plan")
        );
        assert!(
            check_payment(&facts(4900, "eur", "mensuel", "bad id"), &plans)
                .unwrap_err()
                .to_string()
                .contains("client_id")
        );
        assert!(check_payment(&facts(4900, "eur", "annuel", "39"), &plans).is_err());
    }

    #[test]
    fn paid_news_fulfils_and_a_wrong_amount_is_rejected_from_open_or_pending() {
        let plans = Catalogue::default();
        let paid = facts(4900, "eur", "mensuel", "39");
        for news in [News::Completed, News::LookedUp, News::AsyncSucceeded] {
            assert!(matches!(
                decide(news, &paid, &plans),
                Decision::Fulfil { .. }
            ));
        }
        let Decision::Reject(rejection) =
            decide(News::Completed, &facts(1, "eur", "mensuel", "39"), &plans)
        else {
            panic!("a wrong amount is a rejection");
        };
        assert_eq!(rejection.code(), "wrong_amount");
    }

    #[test]
    fn a_paid_subscription_checkout_links_and_never_extends_by_itself() {
        let plans = Catalogue::default();
        let mut session = facts(4900, "eur", "mensuel", "39");
        session.subscription = Some("sub_1".into());
        assert!(matches!(
            decide(News::Completed, &session, &plans),
            Decision::Link { .. }
        ));
        session.amount_total = Some(0);
        session.payment_status = Some(PaymentStatus::NoPaymentRequired);
        assert!(
            matches!(
                decide(News::Completed, &session, &plans),
                Decision::Link { .. }
            ),
            "a first charge deferred to the end of prepaid time"
        );
        let mut once = facts(0, "eur", "mensuel", "39");
        once.payment_status = Some(PaymentStatus::NoPaymentRequired);
        assert!(matches!(
            decide(News::Completed, &once, &plans),
            Decision::Ignore(_)
        ));
    }

    #[test]
    fn only_a_session_the_relay_created_for_that_company_and_plan_is_applied() {
        let paid = facts(4900, "eur", "mensuel", "39");
        let stored = |client: &str, plan: &str| StoredSession {
            client_id: client.into(),
            plan: crate::domain::PlanId::parse(plan).unwrap(),
            state: SessionState::Fulfilled,
            recurring: false,
        };
        assert_eq!(
            agrees_with_stored(Some(&stored("39", "mensuel")), &paid),
            Ok(SessionState::Fulfilled)
        );
        assert!(
            agrees_with_stored(None, &paid)
                .unwrap_err()
                .to_string()
                .contains("not created by this relay")
        );
        for other in [stored("40", "mensuel"), stored("39", "annuel")] {
            assert!(
                agrees_with_stored(Some(&other), &paid)
                    .unwrap_err()
                    .to_string()
                    .contains("disagrees")
            );
        }
    }

    #[test]
    fn delayed_payments_move_visibly_and_expiry_quietly() {
        let plans = Catalogue::default();
        let mut unpaid = facts(4900, "eur", "mensuel", "39");
        unpaid.payment_status = Some(PaymentStatus::Unpaid);
        let to = |news, f: &SessionFacts| match decide(news, f, &plans) {
            Decision::Move(t) => Some((t.to, t.visible)),
            _ => None,
        };
        assert_eq!(
            to(News::Completed, &unpaid),
            Some((SessionState::Pending, true))
        );
        assert_eq!(
            to(News::AsyncFailed, &unpaid),
            Some((SessionState::Failed, true))
        );
        assert_eq!(
            to(News::Expired, &unpaid),
            Some((SessionState::Expired, false))
        );
        unpaid.status = Some(CheckoutStatus::Open);
        assert_eq!(
            to(News::LookedUp, &unpaid),
            None,
            "an open, unpaid session changes nothing"
        );
    }
}
