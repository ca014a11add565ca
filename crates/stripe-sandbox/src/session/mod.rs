//! Checkout Session objects and the JSON shape Stripe returns, complete enough for async-stripe's
//! strict parser; `params` validates the create parameters.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::billing::Interval;
use crate::details::{BillingDetails, Collection};

pub(crate) mod list;
mod params;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Complete,
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Complete => "complete",
            Self::Expired => "expired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentStatus {
    Paid,
    Unpaid,
}

#[derive(Debug, Clone)]
pub struct LineItem {
    pub name: String,
    pub unit_amount: i64,
    pub quantity: i64,
    /// `price_data[recurring][interval]`: a recurring price, for mode `subscription`.
    pub interval: Option<Interval>,
}

#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub mode: String,
    pub currency: String,
    pub line_items: Vec<LineItem>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    pub client_reference_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub locale: Option<String>,
    pub created: i64,
    pub expires_at: i64,
    pub status: Status,
    pub payment_status: PaymentStatus,
    pub payment_intent: Option<String>,
    /// Set when the session was paid with a delayed method (SEPA), until it settles.
    pub payment_method: Option<String>,
    /// The test card number that paid it: what its refunds and disputes do depends on it.
    pub card: Option<String>,
    pub url: String,
    /// `customer=cus_…` given at creation (mode `subscription` needs one here).
    pub customer: Option<String>,
    /// The subscription the session started, once paid.
    pub subscription: Option<String>,
    pub subscription_metadata: BTreeMap<String, String>,
    /// `subscription_data[trial_end]`: the first charge waits until then.
    pub trial_end: Option<i64>,
    /// What the page collects about the buyer, and what it collected.
    pub collection: Collection,
    pub details: Option<BillingDetails>,
}

impl Session {
    pub fn amount_total(&self) -> i64 {
        if self.trial_end.is_some() {
            return 0;
        }
        self.line_items
            .iter()
            .map(|i| i.unit_amount * i.quantity)
            .sum()
    }

    pub fn description(&self) -> String {
        let names: Vec<&str> = self.line_items.iter().map(|i| i.name.as_str()).collect();
        names.join(", ")
    }

    /// « Puis 49,00 € chaque mois, renouvelé automatiquement » for a subscription checkout.
    pub fn recurring_label(&self) -> Option<String> {
        let item = self.line_items.first()?;
        let every = match item.interval? {
            Interval::Month => "chaque mois",
            Interval::Year => "chaque année",
        };
        let amount = crate::format_eur(item.unit_amount * item.quantity);
        Some(match self.trial_end {
            Some(_) => format!(
                "Rien à payer aujourd'hui : {amount} {every} à la fin du temps déjà payé, renouvelé automatiquement."
            ),
            None => format!(
                "Puis {amount} {every}, renouvelé automatiquement. Résiliable à tout moment."
            ),
        })
    }

    /// `success_url` with Stripe's `{CHECKOUT_SESSION_ID}` template filled in.
    pub fn success_redirect(&self) -> String {
        self.success_url.replace("{CHECKOUT_SESSION_ID}", &self.id)
    }

    /// The object as Stripe serialises it (API version of the sandbox).
    pub fn to_json(&self) -> Value {
        let total = self.amount_total();
        json!({
            "id": self.id, "object": "checkout.session",
            "adaptive_pricing": null, "after_expiration": null, "allow_promotion_codes": null,
            "amount_subtotal": total, "amount_total": total,
            "automatic_tax": {"enabled": false, "liability": null, "provider": null, "status": null},
            "billing_address_collection": if self.collection.address_required { "required" } else { "auto" },
            "cancel_url": self.cancel_url,
            "client_reference_id": self.client_reference_id, "client_secret": null,
            "collected_information": null, "consent": null, "consent_collection": null,
            "created": self.created, "currency": self.currency, "currency_conversion": null,
            "custom_fields": [],
            "custom_text": {"after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null},
            "customer": self.customer, "customer_creation": "if_required",
            "customer_details": self.details.as_ref().map(BillingDetails::customer_details_json),
            "customer_email": null, "discounts": [], "expires_at": self.expires_at,
            "invoice": null, "invoice_creation": null, "livemode": false, "locale": self.locale,
            "metadata": self.metadata, "mode": self.mode, "payment_intent": self.payment_intent,
            "payment_link": null, "payment_method_collection": "if_required",
            "payment_method_configuration_details": null, "payment_method_options": {},
            "payment_method_types": ["card", "sepa_debit"],
            "payment_status": match self.payment_status { PaymentStatus::Paid if self.amount_total() == 0 => "no_payment_required", PaymentStatus::Paid => "paid", PaymentStatus::Unpaid => "unpaid" },
            "phone_number_collection": {"enabled": false}, "recovered_from": null,
            "saved_payment_method_options": null, "setup_intent": null,
            "shipping_address_collection": null, "shipping_cost": null, "shipping_options": [],
            "status": self.status.as_str(),
            "submit_type": null, "subscription": self.subscription, "success_url": self.success_url,
            "tax_id_collection": {"enabled": self.collection.tax_id, "required": "never"},
            "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
            "ui_mode": "hosted_page",
            "url": if self.status == Status::Open { Some(&self.url) } else { None },
        })
    }
}
