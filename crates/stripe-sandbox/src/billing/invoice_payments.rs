//! Invoice Payments (`GET /v1/invoice_payments?invoice=in_…`): at the pinned API version an
//! invoice names the PaymentIntent that paid it only here (or in its `payments`, when expanded).
//! Each charged invoice has one default payment, whose PaymentIntent follows the invoice's id
//! (`in_X` → `pi_X`), `open` until the invoice is paid.

use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::answer::{Answer, newest_first, params, text};
use super::{Invoice, InvoiceStatus};
use crate::Sandbox;

/// `pi_X` for `in_X`.
pub(crate) fn intent_of(invoice: &str) -> String {
    format!("pi_{}", invoice.strip_prefix("in_").unwrap_or(invoice))
}

/// Whether a PaymentIntent charged the invoice (a zero invoice charges nothing).
pub(crate) fn charged(i: &Invoice) -> bool {
    i.amount > 0 && (i.status == InvoiceStatus::Paid || i.attempt_count > 0)
}

pub(crate) fn invoice_payment(i: &Invoice) -> Value {
    let paid = i.status == InvoiceStatus::Paid;
    json!({
        "id": format!("inpay_{}", i.id.strip_prefix("in_").unwrap_or(&i.id)),
        "object": "invoice_payment", "amount_paid": if paid { Some(i.amount) } else { None },
        "amount_requested": i.amount, "created": i.finalized_at.unwrap_or(i.created),
        "currency": i.currency, "invoice": i.id, "is_default": true, "livemode": false,
        "payment": {"type": "payment_intent", "payment_intent": intent_of(&i.id),
            "charge": null, "payment_record": null},
        "status": if paid { "paid" } else { "open" },
        "status_transitions": {"canceled_at": null, "paid_at": i.paid_at},
    })
}

/// The list, by `invoice`, `payment[payment_intent]` or `status`, newest first.
pub(super) async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let invoice = text(&p, "invoice");
    let intent = p
        .pointer("/payment/payment_intent")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let status = text(&p, "status");
    let books = sb.books();
    let found: Vec<&Invoice> = books
        .invoices
        .values()
        .filter(|i| charged(i))
        .filter(|i| invoice.as_ref().is_none_or(|id| *id == i.id))
        .filter(|i| intent.as_ref().is_none_or(|pi| *pi == intent_of(&i.id)))
        .filter(|i| {
            let paid = i.status == InvoiceStatus::Paid;
            status.as_deref().is_none_or(|s| (s == "paid") == paid)
        })
        .collect();
    newest_first(
        found,
        |i| (i.created, &i.number),
        invoice_payment,
        &p,
        "/v1/invoice_payments",
    )
}
