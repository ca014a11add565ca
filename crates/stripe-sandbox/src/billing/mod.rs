//! The sandbox's Billing slice: customers, subscriptions, invoices and test clocks, and the engine
//! that moves a test clock forward as Stripe does: at each period boundary a renewal invoice is
//! created, finalised an hour (clock time) later and charged to the customer's card; a declined
//! charge makes the subscription `past_due` and is retried on a schedule, and after the last
//! failed retry the subscription is cancelled. Objects are rendered in `json.rs`, served in `api.rs`.

pub mod answer;
pub mod api;
mod clocks;
mod customers;
mod engine;
mod events;
mod interval;
pub(crate) mod invoice_payments;
mod invoices;
pub mod json;
pub mod portal;
mod portal_page;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Sandbox;
pub use interval::Interval;

/// The card that pays, and the one that attaches to a customer but declines every charge.
pub const CARD_PAYS: &str = "4242424242424242";
pub const CARD_DECLINES_LATER: &str = "4000000000000341";

/// Stripe finalises a renewal invoice about an hour after the period ends.
pub const FINALIZE_AFTER: i64 = 3600;
/// Days between a failed charge and the next retry; after the last retry fails, the
/// subscription is cancelled (Stripe's default "cancel the subscription" setting).
pub const RETRY_DAYS: [i64; 3] = [3, 2, 2];
pub(crate) const DAY: i64 = 86_400;

#[derive(Debug, Clone)]
pub struct Customer {
    pub id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub locales: Vec<String>,
    pub test_clock: Option<String>,
    /// The card on file (its number), set at checkout or by the card-replacement control.
    pub card: Option<String>,
    /// Payment method id of that card.
    pub payment_method: Option<String>,
    /// Billing address and tax ID, copied from a checkout with `customer_update[…]=auto`.
    pub details: Option<crate::details::BillingDetails>,
    pub created: i64,
}

#[derive(Debug, Clone)]
pub struct TestClock {
    pub id: String,
    pub name: Option<String>,
    pub frozen_time: i64,
    pub advancing: bool,
    pub created: i64,
}

#[derive(Debug, Clone)]
pub struct Price {
    pub id: String,
    pub product: String,
    pub product_name: String,
    pub unit_amount: i64,
    pub currency: String,
    pub interval: Interval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubStatus {
    Trialing,
    Active,
    PastDue,
    Canceled,
}

impl SubStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Subscription {
    pub id: String,
    pub customer: String,
    pub item_id: String,
    pub price: Price,
    pub metadata: BTreeMap<String, String>,
    pub status: SubStatus,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub created: i64,
    /// Start of the first paid period (the trial's end, if any), from which periods count.
    pub anchor: i64,
    pub trial_start: Option<i64>,
    pub trial_end: Option<i64>,
    pub period_start: i64,
    pub period_end: i64,
    /// Paid periods started so far (the period index of `period_start`, from the anchor).
    pub periods: u32,
    pub latest_invoice: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvoiceStatus {
    Draft,
    Open,
    Paid,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Invoice {
    pub id: String,
    pub number: String,
    pub customer: String,
    pub subscription: String,
    pub subscription_item: String,
    pub price: String,
    pub product: String,
    pub sub_metadata: BTreeMap<String, String>,
    pub line_id: String,
    pub description: String,
    pub status: InvoiceStatus,
    pub amount: i64,
    pub currency: String,
    pub billing_reason: &'static str,
    pub created: i64,
    /// The invoice's own period, which looks back: the period just ended.
    pub period_start: i64,
    pub period_end: i64,
    /// The line's period: the service paid for.
    pub line_start: i64,
    pub line_end: i64,
    /// The customer's name and billing details when the invoice was made (Stripe keeps them
    /// as they were once the invoice is finalised).
    pub customer_name: Option<String>,
    pub buyer: Option<crate::details::BillingDetails>,
    pub attempt_count: u32,
    /// When the engine acts on it next: finalise a draft, or retry an open invoice.
    pub next_action_at: Option<i64>,
    pub finalized_at: Option<i64>,
    pub paid_at: Option<i64>,
    pub charge_failed: bool,
}

/// Everything Billing holds, behind the sandbox's one lock for it.
#[derive(Debug, Default)]
pub struct Books {
    pub customers: BTreeMap<String, Customer>,
    pub clocks: BTreeMap<String, TestClock>,
    pub subscriptions: BTreeMap<String, Subscription>,
    pub invoices: BTreeMap<String, Invoice>,
    pub portal_configurations: BTreeMap<String, portal::Configuration>,
    pub portal_sessions: BTreeMap<String, portal::PortalSession>,
    invoice_count: u64,
}

/// Why a change to a subscription was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Canceled,
}

/// An event to emit once the lock is released: type, object, clock time, previous attributes.
pub struct Pending {
    pub event_type: &'static str,
    pub object: Value,
    pub created: i64,
    pub previous: Option<Value>,
}

impl Books {
    /// The time on the customer's test clock, or the wall clock.
    pub fn time_of(&self, customer: &str) -> i64 {
        self.customers
            .get(customer)
            .and_then(|c| c.test_clock.as_ref())
            .and_then(|id| self.clocks.get(id))
            .map_or_else(crate::now, |c| c.frozen_time)
    }

    fn next_number(&mut self) -> String {
        self.invoice_count += 1;
        format!("SBX-{:06}", self.invoice_count)
    }

    /// A new invoice for `sub` covering `[line_start, line_end]`, created at `now`.
    fn new_invoice(
        &mut self,
        sub: &Subscription,
        line: (i64, i64),
        reason: &'static str,
        now: i64,
    ) -> Invoice {
        let amount = if sub.status == SubStatus::Trialing {
            0
        } else {
            sub.price.unit_amount
        };
        Invoice {
            id: format!("in_{}", crate::random_id(24)),
            number: self.next_number(),
            customer: sub.customer.clone(),
            subscription: sub.id.clone(),
            subscription_item: sub.item_id.clone(),
            price: sub.price.id.clone(),
            product: sub.price.product.clone(),
            sub_metadata: sub.metadata.clone(),
            line_id: format!("il_{}", crate::random_id(24)),
            description: format!("1 × {}", sub.price.product_name),
            status: InvoiceStatus::Draft,
            amount,
            currency: sub.price.currency.clone(),
            billing_reason: reason,
            created: now,
            period_start: if reason == "subscription_create" {
                now
            } else {
                sub.period_start.min(line.0)
            },
            period_end: if reason == "subscription_create" {
                now
            } else {
                line.0
            },
            line_start: line.0,
            line_end: line.1,
            customer_name: self
                .customers
                .get(&sub.customer)
                .and_then(|c| c.name.clone()),
            buyer: self
                .customers
                .get(&sub.customer)
                .and_then(|c| c.details.clone()),
            attempt_count: 0,
            next_action_at: None,
            finalized_at: None,
            paid_at: None,
            charge_failed: false,
        }
    }

    /// Starts a subscription paid at checkout: its first invoice is finalised and paid at once
    /// (a zero invoice when the first charge waits for `trial_end`).
    pub fn start_subscription(
        &mut self,
        customer: &str,
        price: Price,
        metadata: BTreeMap<String, String>,
        trial_end: Option<i64>,
        out: &mut Vec<Pending>,
    ) -> (Subscription, Invoice) {
        let now = self.time_of(customer);
        let anchor = trial_end.unwrap_or(now);
        let mut sub = Subscription {
            id: format!("sub_{}", crate::random_id(24)),
            customer: customer.to_owned(),
            item_id: format!("si_{}", crate::random_id(14)),
            metadata,
            status: if trial_end.is_some() {
                SubStatus::Trialing
            } else {
                SubStatus::Active
            },
            cancel_at_period_end: false,
            canceled_at: None,
            ended_at: None,
            created: now,
            anchor,
            trial_start: trial_end.map(|_| now),
            trial_end,
            period_start: now,
            period_end: trial_end.unwrap_or_else(|| price.interval.after(anchor, 1)),
            periods: 0,
            latest_invoice: None,
            price,
        };
        let mut invoice = self.new_invoice(
            &sub,
            (sub.period_start, sub.period_end),
            "subscription_create",
            now,
        );
        invoice.status = InvoiceStatus::Paid;
        invoice.attempt_count = u32::from(invoice.amount > 0);
        invoice.finalized_at = Some(now);
        invoice.paid_at = Some(now);
        sub.latest_invoice = Some(invoice.id.clone());
        self.subscriptions.insert(sub.id.clone(), sub.clone());
        self.invoices.insert(invoice.id.clone(), invoice.clone());
        out.push(self.pending(
            "customer.subscription.created",
            json::subscription(self, &sub),
            now,
            None,
        ));
        for kind in [
            "invoice.created",
            "invoice.finalized",
            "invoice.paid",
            "invoice.payment_succeeded",
        ] {
            out.push(self.pending(kind, json::invoice(&invoice), now, None));
        }
        (sub, invoice)
    }

    fn pending(
        &self,
        event_type: &'static str,
        object: Value,
        created: i64,
        previous: Option<Value>,
    ) -> Pending {
        Pending {
            event_type,
            object,
            created,
            previous,
        }
    }
}

impl Sandbox {
    /// Runs `change` on the books, then emits the events it produced, in order.
    pub fn with_books<T>(&self, change: impl FnOnce(&mut Books, &mut Vec<Pending>) -> T) -> T {
        let mut out = Vec::new();
        let result = {
            let mut books = self.books();
            change(&mut books, &mut out)
        };
        for p in out {
            self.emit_object(p.event_type, p.object, p.created, p.previous);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn monthly_periods_keep_the_anchor_day() {
        let jan31 = 1_769_817_600; // 2026-01-31T00:00:00Z
        let feb = Interval::Month.after(jan31, 1);
        let mar = Interval::Month.after(jan31, 2);
        assert_eq!(
            DateTime::from_timestamp(feb, 0).unwrap().to_rfc3339(),
            "2026-02-28T00:00:00+00:00"
        );
        assert_eq!(
            DateTime::from_timestamp(mar, 0).unwrap().to_rfc3339(),
            "2026-03-31T00:00:00+00:00"
        );
        assert_eq!(Interval::Year.after(jan31, 2) - jan31, 730 * DAY);
    }
}
