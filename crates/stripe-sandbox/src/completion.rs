//! A session's payment on the hosted page: completed by card (a subscription checkout starts
//! its subscription, the card 0259 is disputed once the payment's events are delivered), or by a
//! test SEPA mandate that settles, fails, or settles and is charged back later; what the page
//! collected goes onto the customer.

use crate::session::{PaymentStatus, Session, Status};
use crate::{Sandbox, billing, disputes, random_id};

impl Sandbox {
    /// Completes an open session: paid by card (`card`, its number), or unpaid while a SEPA
    /// debit settles. In mode `subscription` the card goes on file with the customer and the
    /// subscription starts, its first invoice paid.
    pub(crate) fn complete(
        &self,
        id: &str,
        card: Option<&str>,
        sepa_succeeds: Option<bool>,
    ) -> Session {
        let session = self.session(id).expect("open sessions exist");
        self.update_customer(&session);
        let subscription = match (&session.customer, session.mode.as_str()) {
            (Some(customer), "subscription") => Some(self.with_books(|books, out| {
                books.replace_card(customer, card.unwrap_or(billing::CARD_PAYS), out);
                let item = &session.line_items[0];
                let price = billing::Price {
                    id: format!("price_{}", random_id(24)),
                    product: format!("prod_{}", random_id(14)),
                    product_name: item.name.clone(),
                    unit_amount: item.unit_amount,
                    currency: session.currency.clone(),
                    interval: item.interval.unwrap_or(billing::Interval::Month),
                };
                let metadata = session.subscription_metadata.clone();
                books
                    .start_subscription(customer, price, metadata, session.trial_end, out)
                    .0
                    .id
            })),
            _ => None,
        };
        let done = self.update_session(id, |s| {
            s.status = Status::Complete;
            s.payment_intent = Some(format!("pi_{}", random_id(24)));
            s.card = card.map(str::to_owned);
            s.subscription = subscription;
            match sepa_succeeds {
                None => s.payment_status = PaymentStatus::Paid,
                Some(_) => s.payment_method = Some("sepa_debit".into()),
            }
        });
        self.emit("checkout.session.completed", &done);
        if card == Some(disputes::CARD_DISPUTED) {
            let intent = done.payment_intent.clone().expect("set above");
            self.after_deliveries(move |sb| sb.open_dispute(&sb.paid(&intent).expect("paid")));
        }
        if let Some(succeeds) = sepa_succeeds {
            self.inner
                .pending_sepa
                .lock()
                .unwrap()
                .insert(id.to_owned(), succeeds);
            let (sandbox, id) = (self.clone(), id.to_owned());
            let after = self.inner.config.sepa_settle_after;
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                sandbox.settle(&id);
            });
        }
        done
    }

    /// `customer_update[name|address]=auto`: what the page collected goes onto the customer.
    fn update_customer(&self, session: &Session) {
        let (Some(customer), Some(details)) = (&session.customer, &session.details) else {
            return;
        };
        let c = &session.collection;
        if let Some(cus) = self.books().customers.get_mut(customer) {
            if c.update_name && details.name.is_some() {
                cus.name = details.name.clone();
            }
            if c.update_address || c.update_name {
                let mut kept = cus.details.clone().unwrap_or_default();
                if c.update_address {
                    kept = crate::details::BillingDetails {
                        name: kept.name,
                        tax_id: kept.tax_id,
                        ..details.clone()
                    };
                }
                if details.tax_id.is_some() {
                    kept.tax_id = details.tax_id.clone();
                }
                cus.details = Some(kept);
            }
        }
    }

    /// The customer's billing details, to prefill the page as Stripe does for a known customer.
    pub fn customer_details(&self, customer: &str) -> Option<crate::details::BillingDetails> {
        self.books()
            .customers
            .get(customer)
            .and_then(|c| c.details.clone())
    }

    /// The session's SEPA debit will be charged back once it settles.
    pub(crate) fn dispute_debit_later(&self, id: &str) {
        self.inner
            .disputed_debits
            .lock()
            .unwrap()
            .insert(id.to_owned());
    }

    /// Whether this session's SEPA debit is still settling.
    pub(crate) fn sepa_pending(&self, id: &str) -> bool {
        self.inner.pending_sepa.lock().unwrap().contains_key(id)
    }

    /// Settles a pending SEPA debit now. Returns false when there is none for this session.
    pub fn settle(&self, id: &str) -> bool {
        let Some(succeeds) = self.inner.pending_sepa.lock().unwrap().remove(id) else {
            return false;
        };
        if succeeds {
            let paid = self.update_session(id, |s| s.payment_status = PaymentStatus::Paid);
            self.emit("checkout.session.async_payment_succeeded", &paid);
            if self.inner.disputed_debits.lock().unwrap().remove(id) {
                let intent = paid.payment_intent.clone().expect("a completed session");
                self.after_deliveries(move |sb| sb.open_dispute(&sb.paid(&intent).expect("paid")));
            }
        } else {
            let session = self.session(id).expect("pending sessions exist");
            self.emit("checkout.session.async_payment_failed", &session);
        }
        true
    }
}
