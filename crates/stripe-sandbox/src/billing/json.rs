//! Billing objects as Stripe serialises them in the sandbox's API version (after 2025-03-31: an
//! invoice names its subscription under `parent.subscription_details`, a subscription's period
//! is on its items), complete enough for async-stripe's strict typed parser.

use serde_json::{Value, json};

use super::{Books, Customer, Invoice, InvoiceStatus, Subscription, TestClock};

pub fn customer(c: &Customer) -> Value {
    json!({
        "id": c.id, "object": "customer", "balance": 0, "created": c.created,
        "address": c.details.as_ref().map(crate::details::BillingDetails::address_json),
        "currency": "eur", "default_source": null, "delinquent": false, "description": null,
        "discount": null, "email": c.email, "invoice_prefix": "SBX", "livemode": false,
        "invoice_settings": {"custom_fields": null, "default_payment_method": c.payment_method, "footer": null, "rendering_options": null},
        "metadata": c.metadata, "name": c.name, "next_invoice_sequence": 1, "phone": null,
        "preferred_locales": c.locales, "shipping": null, "tax_exempt": "none",
        "test_clock": c.test_clock,
    })
}

pub fn test_clock(c: &TestClock) -> Value {
    json!({
        "id": c.id, "object": "test_helpers.test_clock", "created": c.created,
        "deletes_after": c.created + 30 * 86_400, "frozen_time": c.frozen_time, "livemode": false,
        "name": c.name, "status": if c.advancing { "advancing" } else { "ready" },
        "status_details": if c.advancing { json!({"advancing": {"target_frozen_time": c.frozen_time}}) } else { json!({}) },
    })
}

/// A card payment method (`pm_…`) for the card number on file.
pub fn payment_method(id: &str, number: &str, customer: &str, created: i64) -> Value {
    json!({
        "id": id, "object": "payment_method", "created": created, "customer": customer,
        "livemode": false, "metadata": {}, "type": "card",
        "billing_details": {"address": null, "email": null, "name": null, "phone": null},
        "card": {"brand": "visa", "country": "FR", "exp_month": 12, "exp_year": 2034,
                 "funding": "credit", "last4": crate::last_chars(number, 4),
                 "display_brand": "visa", "networks": {"available": ["visa"], "preferred": null},
                 "checks": null, "wallet": null, "fingerprint": null, "generated_from": null,
                 "regulated_status": "unregulated", "three_d_secure_usage": {"supported": true}},
    })
}

pub fn price(s: &Subscription) -> Value {
    let p = &s.price;
    json!({
        "id": p.id, "object": "price", "active": true, "billing_scheme": "per_unit",
        "created": s.created, "currency": p.currency, "livemode": false, "lookup_key": null,
        "metadata": {}, "nickname": null, "product": p.product, "tax_behavior": "unspecified",
        "recurring": {"interval": p.interval.as_str(), "interval_count": 1, "meter": null, "usage_type": "licensed"},
        "tiers_mode": null, "transform_quantity": null, "type": "recurring",
        "unit_amount": p.unit_amount, "unit_amount_decimal": p.unit_amount.to_string(),
    })
}

/// The product a subscription's price belongs to (named after the checkout's line).
pub fn product(s: &Subscription) -> Value {
    let p = &s.price;
    json!({
        "id": p.product, "object": "product", "active": true, "created": s.created,
        "default_price": null, "description": null, "images": [], "livemode": false,
        "marketing_features": [], "metadata": {}, "name": p.product_name,
        "package_dimensions": null, "shippable": null, "statement_descriptor": null,
        "tax_code": null, "type": "service", "unit_label": null, "updated": s.created, "url": null,
    })
}

fn plan(s: &Subscription) -> Value {
    let p = &s.price;
    json!({
        "id": p.id, "object": "plan", "active": true, "amount": p.unit_amount,
        "amount_decimal": p.unit_amount.to_string(), "billing_scheme": "per_unit",
        "created": s.created, "currency": p.currency, "interval": p.interval.as_str(),
        "interval_count": 1, "livemode": false, "metadata": {}, "meter": null, "nickname": null,
        "product": p.product, "tiers_mode": null, "transform_usage": null,
        "trial_period_days": null, "usage_type": "licensed",
    })
}

pub fn subscription(books: &Books, s: &Subscription) -> Value {
    let default_pm = books
        .customers
        .get(&s.customer)
        .and_then(|c| c.payment_method.clone());
    json!({
        "id": s.id, "object": "subscription", "application": null,
        "application_fee_percent": null,
        "automatic_tax": {"disabled_reason": null, "enabled": false, "liability": null},
        "billing_cycle_anchor": s.anchor, "billing_cycle_anchor_config": null,
        "billing_mode": {"type": "flexible", "flexible": {"proration_discounts": "included"}, "updated_at": null},
        "billing_schedules": [], "billing_thresholds": null,
        "cancel_at": if s.cancel_at_period_end { Some(s.period_end) } else { None },
        "cancel_at_period_end": s.cancel_at_period_end, "canceled_at": s.canceled_at,
        "cancellation_details": {"comment": null, "feedback": null, "reason": if s.canceled_at.is_some() { Some("cancellation_requested") } else { None }},
        "collection_method": "charge_automatically", "created": s.created, "currency": s.price.currency,
        "customer": s.customer, "days_until_due": null, "default_payment_method": default_pm,
        "default_source": null, "default_tax_rates": [], "description": null, "discounts": [],
        "ended_at": s.ended_at,
        "invoice_settings": {"account_tax_ids": null, "issuer": {"type": "self"}},
        "items": {"object": "list", "has_more": false, "url": format!("/v1/subscription_items?subscription={}", s.id), "data": [{
            "id": s.item_id, "object": "subscription_item", "billing_thresholds": null,
            "created": s.created, "current_period_end": s.period_end,
            "current_period_start": s.period_start, "discounts": [], "metadata": {},
            "plan": plan(s), "price": price(s), "quantity": 1, "subscription": s.id, "tax_rates": [],
        }]},
        "latest_invoice": s.latest_invoice, "livemode": false, "metadata": s.metadata,
        "next_pending_invoice_item_invoice": null, "on_behalf_of": null, "pause_collection": null,
        "payment_settings": {"payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off"},
        "pending_invoice_item_interval": null, "pending_setup_intent": null, "pending_update": null,
        "schedule": null, "start_date": s.created, "status": s.status.as_str(),
        "test_clock": books.customers.get(&s.customer).and_then(|c| c.test_clock.clone()),
        "transfer_data": null, "trial_end": s.trial_end, "trial_settings": {"end_behavior": {"missing_payment_method": "create_invoice"}},
        "trial_start": s.trial_start,
    })
}

pub fn invoice(i: &Invoice) -> Value {
    let status = i.status.as_str();
    let paid = i.status == InvoiceStatus::Paid;
    let hosted = (i.status != InvoiceStatus::Draft)
        .then(|| format!("https://invoice.stripe.com/i/sandbox/{}", i.id));
    json!({
        "id": i.id, "object": "invoice", "account_country": "FR", "account_name": "ERP BTP (sandbox)",
        "account_tax_ids": null, "amount_due": i.amount, "amount_overpaid": 0,
        "amount_paid": if paid { i.amount } else { 0 }, "amount_remaining": if paid { 0 } else { i.amount },
        "amount_shipping": 0, "application": null, "attempt_count": i.attempt_count,
        "attempted": i.attempt_count > 0, "auto_advance": !paid,
        "automatic_tax": {"disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null},
        "automatically_finalizes_at": i.next_action_at.filter(|_| i.status == InvoiceStatus::Draft),
        "billing_reason": i.billing_reason, "collection_method": "charge_automatically",
        "created": i.created, "currency": i.currency, "custom_fields": null, "customer": i.customer,
        "customer_address": i.buyer.as_ref().map(crate::details::BillingDetails::address_json),
        "customer_email": null, "customer_name": i.customer_name,
        "customer_phone": null, "customer_shipping": null, "customer_tax_exempt": "none",
        "customer_tax_ids": i.buyer.as_ref().map_or(json!([]), crate::details::BillingDetails::tax_ids_json),
        "default_payment_method": null, "default_source": null,
        "default_tax_rates": [], "description": null, "discounts": [], "due_date": null,
        "effective_at": i.finalized_at, "ending_balance": if i.finalized_at.is_some() { Some(0) } else { None },
        "footer": null, "from_invoice": null, "hosted_invoice_url": hosted,
        "invoice_pdf": hosted.as_ref().map(|u| format!("{u}/pdf")),
        "issuer": {"type": "self"}, "last_finalization_error": null, "latest_revision": null,
        "lines": {"object": "list", "has_more": false, "url": format!("/v1/invoices/{}/lines", i.id), "data": [{
            "id": i.line_id, "object": "line_item", "amount": i.amount, "currency": i.currency,
            "description": i.description, "discount_amounts": [], "discountable": true,
            "discounts": [], "invoice": i.id, "livemode": false, "metadata": {},
            "parent": {"type": "subscription_item_details", "invoice_item_details": null,
                       "subscription_item_details": {"invoice_item": null, "proration": false, "proration_details": {"credited_items": null},
                                                     "subscription": i.subscription, "subscription_item": i.subscription_item}},
            "period": {"end": i.line_end, "start": i.line_start},
            "pretax_credit_amounts": [],
            "pricing": {"type": "price_details", "price_details": {"price": i.price, "product": i.product}, "unit_amount_decimal": i.amount.to_string()},
            "quantity": 1, "quantity_decimal": "1", "subscription": i.subscription, "subtotal": i.amount, "taxes": [],
        }]},
        "livemode": false, "metadata": {}, "next_payment_attempt": i.next_action_at.filter(|_| i.status == InvoiceStatus::Open),
        "number": (i.status != InvoiceStatus::Draft).then_some(&i.number), "on_behalf_of": null,
        "parent": {"type": "subscription_details", "quote_details": null,
                   "subscription_details": {"metadata": i.sub_metadata, "subscription": i.subscription}},
        "payment_settings": {"default_mandate": null, "payment_method_options": null, "payment_method_types": null},
        "period_end": i.period_end, "period_start": i.period_start,
        "post_payment_credit_notes_amount": 0, "pre_payment_credit_notes_amount": 0,
        "receipt_number": null, "rendering": null, "shipping_cost": null, "shipping_details": null,
        "starting_balance": 0, "statement_descriptor": null, "status": status,
        "status_transitions": {"finalized_at": i.finalized_at, "marked_uncollectible_at": null, "paid_at": i.paid_at, "voided_at": null},
        "subtotal": i.amount, "subtotal_excluding_tax": i.amount, "test_clock": null,
        "total": i.amount, "total_discount_amounts": [], "total_excluding_tax": i.amount,
        "total_pretax_credit_amounts": [], "total_taxes": [], "webhooks_delivered_at": i.finalized_at,
    })
}
