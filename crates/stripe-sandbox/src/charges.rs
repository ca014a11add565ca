//! The Charge behind each PaymentIntent of a paid Checkout Session or invoice (`GET /v1/charges/{id}`,
//! `GET /v1/charges`; `GET /v1/payment_intents` lists the PaymentIntents), with
//! what refunds and disputes change on it: `amount_refunded`, `refunded`, `disputed`. A charge's
//! id follows its PaymentIntent's (`pi_X` → `ch_X`), so either names the same payment.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::billing::answer::{Answer, missing, newest_first, params, text};
use crate::{PaymentStatus, Sandbox};

/// A one-off payment, as refunds and disputes see it.
#[derive(Debug, Clone)]
pub(crate) struct Paid {
    pub payment_intent: String,
    pub charge: String,
    pub amount: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub created: i64,
    pub succeeded: bool,
    pub sepa: bool,
    /// The test card that paid (4242… when a fixture did not say).
    pub card: Option<String>,
    /// Now on the payment's clock: its customer's test clock for an invoice, else the real time.
    pub now: i64,
}

/// `ch_X` for `pi_X`.
pub(crate) fn charge_of(payment_intent: &str) -> String {
    format!(
        "ch_{}",
        payment_intent.strip_prefix("pi_").unwrap_or(payment_intent)
    )
}

pub async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    sb.paid(&id)
        .filter(|p| p.charge == id && p.succeeded)
        .map(|p| Json(sb.charge_json(&p)))
        .ok_or_else(|| missing("charge", &id, "id"))
}

/// The `items` of the payment a list's `payment_intent` or `charge` parameter names (all of
/// them without either); `ids` gives an item's PaymentIntent and Charge.
pub(crate) fn of_payment<'a, T>(
    items: &'a [T],
    p: &Value,
    ids: impl Fn(&T) -> (&str, &str),
) -> Vec<&'a T> {
    let (pi, ch) = (text(p, "payment_intent"), text(p, "charge"));
    items
        .iter()
        .filter(|item| {
            let (item_pi, item_ch) = ids(item);
            pi.as_deref().is_none_or(|pi| pi == item_pi)
                && ch.as_deref().is_none_or(|ch| ch == item_ch)
        })
        .collect()
}

/// `GET /v1/charges?payment_intent=…|customer=…`, newest first.
pub async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let (pi, customer) = (text(&p, "payment_intent"), text(&p, "customer"));
    let found: Vec<Paid> = sb
        .all_paid()
        .into_iter()
        .filter(|c| c.succeeded)
        .filter(|c| pi.as_ref().is_none_or(|pi| *pi == c.payment_intent))
        .filter(|c| customer.is_none() || c.customer == customer)
        .collect();
    newest_first(
        found.iter().collect(),
        |c| (c.created, c.charge.as_str()),
        |c| sb.charge_json(c),
        &p,
        "/v1/charges",
    )
}

/// `GET /v1/payment_intents?customer=…`, newest first.
pub async fn list_intents(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let customer = text(&p, "customer");
    let found: Vec<Paid> = sb
        .all_paid()
        .into_iter()
        .filter(|c| customer.is_none() || c.customer == customer)
        .collect();
    newest_first(
        found.iter().collect(),
        |c| (c.created, c.payment_intent.as_str()),
        |c| sb.payment_intent(&c.payment_intent).unwrap_or_default(),
        &p,
        "/v1/payment_intents",
    )
}

impl Sandbox {
    /// Every payment with a PaymentIntent: paid sessions, charged invoices.
    fn all_paid(&self) -> Vec<Paid> {
        let mut intents: Vec<String> = self
            .sessions()
            .into_iter()
            .filter_map(|s| s.payment_intent)
            .collect();
        let books = self.books();
        intents.extend(
            books
                .invoices
                .values()
                .filter(|i| crate::billing::invoice_payments::charged(i))
                .map(|i| crate::billing::invoice_payments::intent_of(&i.id)),
        );
        drop(books);
        intents.iter().filter_map(|pi| self.paid(pi)).collect()
    }

    /// The payment a PaymentIntent or a Charge id names: a Checkout Session's, or an invoice's.
    pub(crate) fn paid(&self, id: &str) -> Option<Paid> {
        let names = |pi: &str| pi == id || charge_of(pi) == id;
        let session = self
            .sessions()
            .into_iter()
            .find(|s| s.payment_intent.as_deref().is_some_and(names));
        let Some(session) = session else {
            return self.invoice_paid(&names);
        };
        let payment_intent = session.payment_intent.clone()?;
        Some(Paid {
            charge: charge_of(&payment_intent),
            payment_intent,
            amount: session.amount_total(),
            currency: session.currency.clone(),
            customer: session.customer.clone(),
            created: session.created,
            succeeded: session.payment_status == PaymentStatus::Paid,
            sepa: session.payment_method.as_deref() == Some("sepa_debit"),
            card: session.card.clone(),
            now: crate::now(),
        })
    }

    fn invoice_paid(&self, names: &dyn Fn(&str) -> bool) -> Option<Paid> {
        use crate::billing::invoice_payments::{charged, intent_of};
        let books = self.books();
        let i = books
            .invoices
            .values()
            .find(|i| charged(i) && names(&intent_of(&i.id)))?;
        let customer = books.customers.get(&i.customer);
        let clock = customer
            .and_then(|c| c.test_clock.as_ref())
            .and_then(|c| books.clocks.get(c));
        let payment_intent = intent_of(&i.id);
        Some(Paid {
            charge: charge_of(&payment_intent),
            payment_intent,
            amount: i.amount,
            currency: i.currency.clone(),
            customer: Some(i.customer.clone()),
            created: i.finalized_at.unwrap_or(i.created),
            succeeded: i.status == crate::billing::InvoiceStatus::Paid,
            sepa: false,
            card: customer.and_then(|c| c.card.clone()),
            now: clock.map_or_else(crate::now, |c| c.frozen_time),
        })
    }

    pub(crate) fn charge_json(&self, paid: &Paid) -> Value {
        let refunded = self.refunded(&paid.payment_intent);
        json!({
            "id": paid.charge, "object": "charge", "amount": paid.amount,
            "amount_captured": paid.amount, "amount_refunded": refunded,
            "balance_transaction": format!("txn_{}", crate::last_chars(&paid.charge, 24)),
            "captured": true, "created": paid.created, "currency": paid.currency,
            "customer": paid.customer, "description": null, "disputed": self.disputed(&paid.payment_intent),
            "livemode": false, "metadata": {}, "paid": true,
            "payment_intent": paid.payment_intent,
            "payment_method_details": {"type": if paid.sepa { "sepa_debit" } else { "card" }},
            "refunded": refunded >= paid.amount, "status": "succeeded",
        })
    }
}
