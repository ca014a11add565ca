//! The engine of a test clock: what an advance runs, action by action in time order (period
//! ends, finalisations an hour later, charges and their retries), and what a new card does.

use serde_json::json;

use super::{
    Books, CARD_PAYS, DAY, FINALIZE_AFTER, InvoiceStatus, Pending, RETRY_DAYS, Refusal, SubStatus,
    json as render,
};

impl Books {
    /// Runs every subscription of `clock` up to `target`, action by action in time order,
    /// with the clock showing each action's time so that objects and events carry it.
    pub fn advance(&mut self, clock: &str, target: i64, out: &mut Vec<Pending>) {
        loop {
            let next = self.next_action(clock).filter(|(at, _)| *at <= target);
            let Some((at, action)) = next else { break };
            if let Some(c) = self.clocks.get_mut(clock) {
                c.frozen_time = at;
            }
            match action {
                Action::PeriodEnd(sub) => self.end_period(&sub, at, out),
                Action::Invoice(id) => self.act_on_invoice(&id, at, out),
            }
        }
        if let Some(c) = self.clocks.get_mut(clock) {
            c.frozen_time = target.max(c.frozen_time);
        }
    }

    fn on_clock(&self, customer: &str, clock: &str) -> bool {
        self.customers
            .get(customer)
            .is_some_and(|c| c.test_clock.as_deref() == Some(clock))
    }

    fn next_action(&self, clock: &str) -> Option<(i64, Action)> {
        let ends = self
            .subscriptions
            .values()
            .filter(|s| s.status != SubStatus::Canceled && self.on_clock(&s.customer, clock))
            .map(|s| (s.period_end, Action::PeriodEnd(s.id.clone())));
        let invoices = self
            .invoices
            .values()
            .filter(|i| self.on_clock(&i.customer, clock))
            .filter_map(|i| {
                i.next_action_at
                    .map(|at| (at, Action::Invoice(i.id.clone())))
            });
        ends.chain(invoices).min_by_key(|(at, _)| *at)
    }

    /// A period ended: cancel if asked to, else start the next period with a draft invoice.
    fn end_period(&mut self, id: &str, now: i64, out: &mut Vec<Pending>) {
        let Some(mut sub) = self.subscriptions.get(id).cloned() else {
            return;
        };
        if sub.cancel_at_period_end {
            self.cancel_now(id, now, out);
            return;
        }
        let previous = json!({"current_period_start": sub.period_start, "current_period_end": sub.period_end, "status": sub.status.as_str()});
        // The trial ends at the anchor, where the first paid period starts.
        match sub.status {
            SubStatus::Trialing => sub.status = SubStatus::Active,
            _ => sub.periods += 1,
        }
        sub.period_start = sub.period_end;
        sub.period_end = sub.price.interval.after(sub.anchor, sub.periods + 1);
        let mut invoice = self.new_invoice(
            &sub,
            (sub.period_start, sub.period_end),
            "subscription_cycle",
            now,
        );
        invoice.next_action_at = Some(now + FINALIZE_AFTER);
        sub.latest_invoice = Some(invoice.id.clone());
        self.subscriptions.insert(id.to_owned(), sub.clone());
        self.invoices.insert(invoice.id.clone(), invoice.clone());
        out.push(self.pending(
            "customer.subscription.updated",
            render::subscription(self, &sub),
            now,
            Some(previous),
        ));
        out.push(self.pending("invoice.created", render::invoice(&invoice), now, None));
    }

    /// Finalises a draft, then charges it; or retries an open invoice.
    fn act_on_invoice(&mut self, id: &str, now: i64, out: &mut Vec<Pending>) {
        let Some(mut invoice) = self.invoices.get(id).cloned() else {
            return;
        };
        invoice.next_action_at = None;
        if invoice.status == InvoiceStatus::Draft {
            invoice.status = InvoiceStatus::Open;
            invoice.finalized_at = Some(now);
            out.push(self.pending("invoice.finalized", render::invoice(&invoice), now, None));
        }
        self.invoices.insert(id.to_owned(), invoice);
        self.charge(id, now, out);
    }

    /// Charges an open invoice to the customer's card, as Stripe does at finalisation, at each
    /// retry, and when the customer gives a new card.
    pub fn charge(&mut self, id: &str, now: i64, out: &mut Vec<Pending>) {
        let Some(mut invoice) = self.invoices.get(id).cloned() else {
            return;
        };
        let Some(mut sub) = self.subscriptions.get(&invoice.subscription).cloned() else {
            return;
        };
        if invoice.status != InvoiceStatus::Open || sub.status == SubStatus::Canceled {
            return;
        }
        let card = self
            .customers
            .get(&invoice.customer)
            .and_then(|c| c.card.clone());
        let pays = card.as_deref() == Some(CARD_PAYS) || invoice.amount == 0;
        invoice.attempt_count += 1;
        let previous = json!({"status": sub.status.as_str()});
        if pays {
            invoice.status = InvoiceStatus::Paid;
            invoice.paid_at = Some(now);
            invoice.next_action_at = None;
            invoice.charge_failed = false;
            self.invoices.insert(id.to_owned(), invoice.clone());
            out.push(self.pending("invoice.paid", render::invoice(&invoice), now, None));
            out.push(self.pending(
                "invoice.payment_succeeded",
                render::invoice(&invoice),
                now,
                None,
            ));
            if sub.status == SubStatus::PastDue {
                sub.status = SubStatus::Active;
                self.subscriptions.insert(sub.id.clone(), sub.clone());
                out.push(self.pending(
                    "customer.subscription.updated",
                    render::subscription(self, &sub),
                    now,
                    Some(previous),
                ));
            }
            return;
        }
        invoice.charge_failed = true;
        let retry = RETRY_DAYS
            .get(invoice.attempt_count as usize - 1)
            .map(|d| now + d * DAY);
        invoice.next_action_at = retry;
        self.invoices.insert(id.to_owned(), invoice.clone());
        out.push(self.pending(
            "invoice.payment_failed",
            render::invoice(&invoice),
            now,
            None,
        ));
        if retry.is_none() {
            self.cancel_now(&sub.id, now, out);
        } else if sub.status != SubStatus::PastDue {
            sub.status = SubStatus::PastDue;
            self.subscriptions.insert(sub.id.clone(), sub.clone());
            out.push(self.pending(
                "customer.subscription.updated",
                render::subscription(self, &sub),
                now,
                Some(previous),
            ));
        }
    }

    /// Ends a subscription now (at its period's end, after the last failed retry, or on
    /// `DELETE`), with the `customer.subscription.deleted` Stripe sends; a no-op once ended.
    pub fn cancel_now(&mut self, id: &str, now: i64, out: &mut Vec<Pending>) {
        let Some(sub) = self.subscriptions.get_mut(id) else {
            return;
        };
        if sub.status == SubStatus::Canceled {
            return;
        }
        sub.status = SubStatus::Canceled;
        sub.ended_at = Some(now);
        sub.canceled_at.get_or_insert(now);
        let sub = sub.clone();
        let object = render::subscription(self, &sub);
        out.push(self.pending("customer.subscription.deleted", object, now, None));
    }

    /// Stops renewing at the period's end (`true`) or resumes (`false`), as
    /// `POST /v1/subscriptions/{id}` and the portal do; `customer.subscription.updated` when it
    /// changed.
    pub fn cancel_at_period_end(
        &mut self,
        id: &str,
        cancel: bool,
        out: &mut Vec<Pending>,
    ) -> Result<(), Refusal> {
        let sub = self.subscriptions.get_mut(id).ok_or(Refusal::Missing)?;
        if sub.status == SubStatus::Canceled {
            return Err(Refusal::Canceled);
        }
        if sub.cancel_at_period_end != cancel {
            let previous = json!({"cancel_at_period_end": sub.cancel_at_period_end});
            sub.cancel_at_period_end = cancel;
            let sub = sub.clone();
            let now = self.time_of(&sub.customer);
            let object = render::subscription(self, &sub);
            out.push(self.pending("customer.subscription.updated", object, now, Some(previous)));
        }
        Ok(())
    }

    /// Replaces the customer's card; an open invoice of a live subscription is charged to the
    /// new card at once, as Stripe does when a customer updates their payment method.
    pub fn replace_card(&mut self, customer: &str, number: &str, out: &mut Vec<Pending>) -> bool {
        let Some(c) = self.customers.get_mut(customer) else {
            return false;
        };
        c.card = Some(number.to_owned());
        let previous = c
            .payment_method
            .replace(format!("pm_{}", crate::random_id(24)));
        let now = self.time_of(customer);
        // The subscriptions bill the new card from now on: Stripe says so with an update.
        let live: Vec<_> = self
            .subscriptions
            .values()
            .filter(|s| s.customer == customer && s.status != SubStatus::Canceled)
            .cloned()
            .collect();
        for sub in live.iter().filter(|_| previous.is_some()) {
            let object = render::subscription(self, sub);
            let before = json!({ "default_payment_method": previous });
            out.push(self.pending("customer.subscription.updated", object, now, Some(before)));
        }
        let open: Vec<String> = self
            .invoices
            .values()
            .filter(|i| i.customer == customer && i.status == InvoiceStatus::Open)
            .map(|i| i.id.clone())
            .collect();
        for id in open {
            self.charge(&id, now, out);
        }
        true
    }
}

enum Action {
    PeriodEnd(String),
    Invoice(String),
}
