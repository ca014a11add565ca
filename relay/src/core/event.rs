//! What a Stripe event is, by its `type`: the closed set the relay acts on, and `Unknown` for
//! every other type (journalled, changing nothing). The event type is read here once; the rest
//! of the relay matches on [`EventKind`], never on the text.

/// What happened to a Checkout Session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionNews {
    Completed,
    AsyncSucceeded,
    AsyncFailed,
    Expired,
}

/// A Stripe event's meaning for the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Session(SessionNews),
    InvoicePaid,
    InvoicePaymentFailed,
    /// Any `customer.subscription.*` notification: the subscription is read from Stripe.
    Subscription,
    /// Another `checkout.session.*` type, whose object is still a session.
    OtherSession,
    /// Another `invoice.*` type, whose object is still an invoice.
    OtherInvoice,
    /// `refund.created`, `refund.updated`, `refund.failed`: the refund is the event's object.
    Refund,
    /// `charge.refunded`: the charge carries no refund id, so its refunds are read from Stripe.
    ChargeRefunded,
    /// `charge.dispute.*` (created, updated, closed, funds withdrawn or reinstated): the
    /// dispute is the event's object.
    Dispute,
    Unknown,
}

impl EventKind {
    /// The kind of an event `type`. Pure.
    pub fn of(event_type: &str) -> Self {
        use SessionNews::*;
        match event_type {
            "checkout.session.completed" => Self::Session(Completed),
            "checkout.session.async_payment_succeeded" => Self::Session(AsyncSucceeded),
            "checkout.session.async_payment_failed" => Self::Session(AsyncFailed),
            "checkout.session.expired" => Self::Session(Expired),
            "invoice.paid" => Self::InvoicePaid,
            "invoice.payment_failed" => Self::InvoicePaymentFailed,
            "refund.created" | "refund.updated" | "refund.failed" => Self::Refund,
            "charge.refunded" => Self::ChargeRefunded,
            t if t.starts_with("charge.dispute.") => Self::Dispute,
            t if t.starts_with("customer.subscription.") => Self::Subscription,
            t if t.starts_with("checkout.session.") => Self::OtherSession,
            t if t.starts_with("invoice.") => Self::OtherInvoice,
            _ => Self::Unknown,
        }
    }

    /// Whether its object is a Checkout Session.
    pub fn about_session(self) -> bool {
        matches!(self, Self::Session(_) | Self::OtherSession)
    }

    /// Whether its object is an invoice.
    pub fn about_invoice(self) -> bool {
        matches!(
            self,
            Self::InvoicePaid | Self::InvoicePaymentFailed | Self::OtherInvoice
        )
    }

    /// Whether it concerns automatic renewal (an invoice or a subscription).
    pub fn about_billing(self) -> bool {
        self.about_invoice() || self == Self::Subscription
    }

    /// Whether it is about money going back.
    pub fn about_refund(self) -> bool {
        matches!(self, Self::Refund | Self::ChargeRefunded | Self::Dispute)
    }

    /// The types the relay acts on, which reconciliation asks Stripe's event list for.
    pub const HANDLED: [&'static str; 18] = [
        "checkout.session.completed",
        "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed",
        "checkout.session.expired",
        "invoice.paid",
        "invoice.payment_failed",
        "customer.subscription.created",
        "customer.subscription.updated",
        "customer.subscription.deleted",
        "refund.created",
        "refund.updated",
        "refund.failed",
        "charge.refunded",
        "charge.dispute.created",
        "charge.dispute.updated",
        "charge.dispute.closed",
        "charge.dispute.funds_withdrawn",
        "charge.dispute.funds_reinstated",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_handled_type_has_its_kind_and_the_rest_are_unknown() {
        assert_eq!(
            EventKind::of("checkout.session.completed"),
            EventKind::Session(SessionNews::Completed)
        );
        assert_eq!(EventKind::of("invoice.paid"), EventKind::InvoicePaid);
        assert_eq!(
            EventKind::of("customer.subscription.deleted"),
            EventKind::Subscription
        );
        assert_eq!(EventKind::of("invoice.finalized"), EventKind::OtherInvoice);
        assert_eq!(EventKind::of("charge.refunded"), EventKind::ChargeRefunded);
        assert_eq!(EventKind::of("refund.failed"), EventKind::Refund);
        assert_eq!(EventKind::of("charge.captured"), EventKind::Unknown);
        assert_eq!(EventKind::of("charge.dispute.closed"), EventKind::Dispute);
        assert_eq!(EventKind::of("invoice"), EventKind::Unknown);
        assert_eq!(
            EventKind::of("CHECKOUT.SESSION.COMPLETED"),
            EventKind::Unknown
        );
    }

    #[test]
    fn every_handled_type_has_a_kind_the_relay_acts_on() {
        for t in EventKind::HANDLED {
            let kind = EventKind::of(t);
            assert!(
                !matches!(
                    kind,
                    EventKind::Unknown | EventKind::OtherSession | EventKind::OtherInvoice
                ),
                "{t}"
            );
        }
        assert!(EventKind::of("checkout.session.x").about_session());
        assert!(EventKind::Subscription.about_billing());
        assert!(!EventKind::Session(SessionNews::Expired).about_billing());
    }
}
