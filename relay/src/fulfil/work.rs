//! What the writer applies: a verified webhook event (with what Stripe was asked about it) or a
//! session the success page looked up, and what applying it did.

use crate::billing::BillingApi;
use crate::core::event::{EventKind, SessionNews};
use crate::core::rejection::Rejection;
use crate::domain::{ClientId, ModeMismatch, PaymentOrigin, PlanId, SessionFacts, SessionState};
use crate::money_back::apply::{Disputed, Refunded};
use crate::money_back::facts::RefundFacts;
use crate::renewal::apply::Effect;
use crate::renewal::facts::SubscriptionFacts;
use crate::stripe::{StripeFailure, WebhookEvent};

#[derive(Debug, Clone)]
pub enum Work {
    Event {
        event: WebhookEvent,
        payload: String,
        /// The subscription the event is about, as read from Stripe just before (see
        /// [`prepare`]): events about subscriptions are notifications, never the state itself.
        subscription: Option<SubscriptionFacts>,
        /// The refunds of a `charge.refunded` event's charge, as read from Stripe just before
        /// (the event carries no refund id).
        refunds: Vec<RefundFacts>,
    },
    /// The success page retrieved this session (and its subscription) from Stripe.
    Lookup {
        session: SessionFacts,
        subscription: Option<SubscriptionFacts>,
    },
}

/// Reads from Stripe what an event only notifies: the current state of the subscription of a
/// `customer.subscription.*` event or of a paid subscription checkout, the refunds of a
/// `charge.refunded` event's charge, the PaymentIntent of a paid invoice. A subscription Stripe
/// no longer knows is left out (the event is then ignored).
pub async fn prepare(
    billing: &BillingApi,
    mut event: WebhookEvent,
    payload: String,
) -> Result<Work, StripeFailure> {
    let id = event.subscription_id.clone().or_else(|| {
        let paid_checkout = matches!(
            EventKind::of(&event.event_type),
            EventKind::Session(SessionNews::Completed | SessionNews::AsyncSucceeded)
        );
        event
            .session
            .as_ref()
            .and_then(|s| s.subscription.clone())
            .filter(|id| paid_checkout && !id.is_empty())
    });
    let mut subscription = match id {
        Some(id) => fetch_subscription(billing, &id).await?,
        None => None,
    };
    // The PaymentIntent of each paid invoice the work may apply, for its refunds and disputes.
    let invoices = event
        .invoice
        .iter_mut()
        .filter(|_| EventKind::of(&event.event_type) == EventKind::InvoicePaid)
        .chain(
            subscription
                .iter_mut()
                .filter_map(|s| s.latest_invoice.as_mut()),
        );
    for inv in invoices.filter(|i| i.amount_paid > 0 && i.payment_intent.is_none()) {
        inv.payment_intent = billing.invoice_payment_intent(&inv.id).await?;
    }
    let refunds = match &event.charge_id {
        Some(charge) => match billing.refunds_of_charge(charge).await {
            Err(StripeFailure::NotFound) => Vec::new(),
            read => read?,
        },
        None => Vec::new(),
    };
    Ok(Work::Event {
        event,
        payload,
        subscription,
        refunds,
    })
}

pub async fn fetch_subscription(
    billing: &BillingApi,
    id: &str,
) -> Result<Option<SubscriptionFacts>, StripeFailure> {
    match billing.subscription(id).await {
        Ok(sub) => Ok(Some(sub)),
        Err(StripeFailure::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Work {
    pub(super) fn facts(&self) -> Option<&SessionFacts> {
        match self {
            Work::Event { event, .. } => event.session.as_ref(),
            Work::Lookup { session, .. } => Some(session),
        }
    }

    pub(super) fn subscription(&self) -> Option<&SubscriptionFacts> {
        match self {
            Work::Event { subscription, .. } | Work::Lookup { subscription, .. } => {
                subscription.as_ref()
            }
        }
    }

    /// The refunds the work is about: a `refund.*` event's, or those read for `charge.refunded`.
    pub(super) fn refunds(&self) -> Vec<&RefundFacts> {
        match self {
            Work::Event { event, refunds, .. } => event.refund.iter().chain(refunds).collect(),
            Work::Lookup { .. } => Vec::new(),
        }
    }

    /// Every `livemode` the work carries (the event's, its object's, and what was read back
    /// from Stripe for it) checked against the relay's keys.
    pub(super) fn mode_mismatch(&self, origin: PaymentOrigin) -> Option<ModeMismatch> {
        let mut modes = Vec::with_capacity(4);
        if let Work::Event { event, .. } = self {
            modes.push(event.livemode);
            modes.extend(event.invoice.as_ref().map(|i| i.livemode));
        }
        modes.extend(self.facts().map(|f| f.livemode));
        modes.extend(self.subscription().map(|s| s.livemode));
        modes.extend(self.refunds().iter().map(|r| r.livemode));
        if let Work::Event { event, .. } = self {
            modes.extend(event.dispute.as_ref().map(|d| d.livemode));
        }
        ModeMismatch::check(origin, &modes)
    }

    /// The event's id, or the looked-up session's.
    pub(super) fn object_id(&self) -> &str {
        match self {
            Work::Event { event, .. } => &event.id,
            Work::Lookup { session, .. } => session.id.as_str(),
        }
    }

    pub(super) fn is_session_event(&self) -> bool {
        matches!(self, Work::Event { event, .. } if EventKind::of(&event.event_type).about_session())
    }

    /// Client the work is about, to order a batch's row locks the same way on every instance.
    pub fn sort_key(&self) -> &str {
        let invoice = match self {
            Work::Event { event, .. } => {
                event.invoice.as_ref().and_then(|i| i.client_id.as_deref())
            }
            Work::Lookup { .. } => None,
        };
        self.facts()
            .and_then(|f| f.client_id.as_deref())
            .or(invoice)
            .or(self.subscription().and_then(|s| s.client_id.as_deref()))
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Fulfilled {
        client: ClientId,
        plan: PlanId,
        expires_at: i64,
        version: i64,
    },
    /// The session moved to `to` (pending, failed, expired); `change` is the client whose
    /// visible state changed and its new version.
    Moved {
        to: SessionState,
        change: Option<(String, i64)>,
    },
    Rejected(Rejection),
    /// The work's `livemode` differs from the relay's keys: nothing applied. `object` is the
    /// event's id, or the session's for a look-up.
    WrongMode {
        mismatch: ModeMismatch,
        object: String,
    },
    /// A refund moved to a new status, and the company's access was folded again.
    Refund(Refunded),
    /// A dispute moved to a new status, and the company's access was folded again.
    Dispute(Disputed),
    /// A renewal event changed the company's renewal.
    Renewal {
        client: ClientId,
        effect: Effect,
        version: i64,
    },
    /// The session had already left `open`/`pending`; its current state.
    AlreadyHandled(SessionState),
    Ignored(String),
    Duplicate,
}

impl Outcome {
    /// What the event did, as journalled and answered to Stripe.
    pub fn label(&self) -> String {
        match self {
            Outcome::Fulfilled { .. } => "fulfilled".into(),
            Outcome::Moved { to, .. } if *to == SessionState::Failed => "payment failed".into(),
            Outcome::Moved { to, .. } => to.to_string(),
            Outcome::Rejected(reason) => format!("rejected: {reason}"),
            Outcome::WrongMode { mismatch, .. } => format!("rejected: {}", mismatch.reason()),
            Outcome::Renewal { effect, .. } => effect.label(),
            Outcome::Refund(r) => format!("refund {}", r.status.as_str()),
            Outcome::Dispute(d) => format!("dispute {}", d.status),
            Outcome::AlreadyHandled(state) => format!("already {state}"),
            Outcome::Ignored(reason) => format!("ignored: {reason}"),
            Outcome::Duplicate => "duplicate".into(),
        }
    }

    /// The session's state after this work, when the work was about a session's payment.
    pub fn session_state(&self) -> Option<SessionState> {
        match self {
            Outcome::Fulfilled { .. } => Some(SessionState::Fulfilled),
            Outcome::Moved { to, .. } | Outcome::AlreadyHandled(to) => Some(*to),
            Outcome::Rejected(_) => Some(SessionState::Rejected),
            Outcome::Renewal {
                effect: Effect::Linked,
                ..
            } => Some(SessionState::Fulfilled),
            Outcome::Renewal { .. }
            | Outcome::Refund(_)
            | Outcome::Dispute(_)
            | Outcome::WrongMode { .. }
            | Outcome::Ignored(_)
            | Outcome::Duplicate => None,
        }
    }

    /// The client whose visible state changed, and its new version.
    pub fn change(&self) -> Option<(&str, i64)> {
        match self {
            Outcome::Fulfilled {
                client, version, ..
            }
            | Outcome::Renewal {
                client, version, ..
            }
            | Outcome::Refund(Refunded {
                client, version, ..
            })
            | Outcome::Dispute(Disputed {
                client, version, ..
            }) => Some((client.as_str(), *version)),
            Outcome::Moved {
                change: Some((client, version)),
                ..
            } => Some((client, *version)),
            _ => None,
        }
    }
}
