//! `POST /v1/checkout/sessions` parameters into a new open session, refused as Stripe words its
//! errors: an unknown parameter, a missing or malformed one, a URL the relay does not own.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{LineItem, PaymentStatus, Session, Status};
use crate::billing::Interval;
use crate::details::Collection;
use crate::error::StripeError;

/// Top-level parameters Stripe accepts on `POST /v1/checkout/sessions`. Anything else is
/// `parameter_unknown`, as on Stripe.
const KNOWN_PARAMS: &[&str] = &[
    "adaptive_pricing",
    "after_expiration",
    "allow_promotion_codes",
    "automatic_tax",
    "billing_address_collection",
    "branding_settings",
    "cancel_url",
    "client_reference_id",
    "consent_collection",
    "currency",
    "custom_fields",
    "custom_text",
    "customer",
    "customer_account",
    "customer_creation",
    "customer_email",
    "customer_update",
    "discounts",
    "excluded_payment_method_types",
    "expand",
    "expires_at",
    "integration_identifier",
    "invoice_creation",
    "line_items",
    "locale",
    "managed_payments",
    "metadata",
    "mode",
    "name_collection",
    "optional_items",
    "origin_context",
    "payment_intent_data",
    "payment_method_collection",
    "payment_method_configuration",
    "payment_method_data",
    "payment_method_options",
    "payment_method_types",
    "permissions",
    "phone_number_collection",
    "redirect_on_completion",
    "return_url",
    "saved_payment_method_options",
    "setup_intent_data",
    "shipping_address_collection",
    "shipping_options",
    "submit_type",
    "subscription_data",
    "success_url",
    "tax_id_collection",
    "ui_mode",
    "wallet_options",
];

impl Session {
    /// Validates create parameters (already parsed from the form) into a new open session.
    pub fn from_params(
        params: &Value,
        id: String,
        url: String,
        now: i64,
    ) -> Result<Session, StripeError> {
        let obj = params
            .as_object()
            .expect("the form parser returns an object");
        if let Some(unknown) = obj.keys().find(|k| !KNOWN_PARAMS.contains(&k.as_str())) {
            return Err(StripeError::unknown(unknown));
        }
        let mode = required_str(params, "mode")?;
        if mode != "payment" && mode != "subscription" {
            return Err(StripeError::invalid(
                "mode",
                format!(
                    "The sandbox supports modes `payment` and `subscription`; `{mode}` was given."
                ),
            ));
        }
        let success_url = required_str(params, "success_url")?;
        check_url("success_url", &success_url)?;
        let cancel_url = optional_str(params, "cancel_url");
        if let Some(cancel) = &cancel_url {
            check_url("cancel_url", cancel)?;
        }
        let items = params
            .get("line_items")
            .and_then(Value::as_array)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| {
                StripeError::missing(
                    "line_items",
                    "You must specify `line_items` when `mode` is `payment`.",
                )
            })?;
        let mut line_items = Vec::new();
        let mut currency: Option<String> = None;
        for (i, item) in items.iter().enumerate() {
            let (line, cur) = line_item(item, i)?;
            if currency.as_ref().is_some_and(|c| *c != cur) {
                return Err(StripeError::invalid(
                    &format!("line_items[{i}][price_data][currency]"),
                    "All line items must use the same currency.".into(),
                ));
            }
            currency = Some(cur);
            line_items.push(line);
        }
        let recurring = line_items.iter().any(|l| l.interval.is_some());
        if mode == "payment" && recurring {
            return Err(StripeError::invalid(
                "line_items",
                "You specified `payment` mode but passed a recurring price. Either switch to `subscription` mode or use only one-time prices.".into(),
            ));
        }
        if mode == "subscription" && !recurring {
            return Err(StripeError::invalid(
                "line_items",
                "You must specify at least one recurring price in `subscription` mode when using prices.".into(),
            ));
        }
        let sub_data = params.get("subscription_data");
        if mode == "payment" && sub_data.is_some() {
            return Err(StripeError::invalid(
                "subscription_data",
                "You can only specify `subscription_data` in `subscription` mode.".into(),
            ));
        }
        let subscription_metadata = string_map(
            sub_data.and_then(|d| d.get("metadata")),
            "subscription_data[metadata]",
        )?;
        let trial_end = match sub_data.and_then(|d| d.get("trial_end")) {
            None => None,
            Some(v) => Some(integer(Some(v), "subscription_data[trial_end]")?),
        };
        let metadata = string_map(params.get("metadata"), "metadata")?;
        let customer = optional_str(params, "customer");
        let collection = Collection::from_params(params, customer.as_deref())?;
        Ok(Session {
            id,
            mode,
            currency: currency.unwrap_or_default(),
            line_items,
            success_url,
            cancel_url,
            client_reference_id: optional_str(params, "client_reference_id"),
            metadata,
            locale: optional_str(params, "locale"),
            created: now,
            expires_at: now + 24 * 3600,
            status: Status::Open,
            payment_status: PaymentStatus::Unpaid,
            payment_intent: None,
            payment_method: None,
            card: None,
            url,
            customer,
            subscription: None,
            subscription_metadata,
            trial_end,
            collection,
            details: None,
        })
    }
}

fn line_item(item: &Value, i: usize) -> Result<(LineItem, String), StripeError> {
    let p = |rest: &str| format!("line_items[{i}]{rest}");
    if item.get("price").is_some() {
        return Err(StripeError::invalid(
            &p("[price]"),
            "No such price: the sandbox has no Price objects; use `price_data`.".into(),
        ));
    }
    let data = item.get("price_data").ok_or_else(|| {
        StripeError::missing(
            &p("[price_data]"),
            "You must specify either `price` or `price_data` for each line item.",
        )
    })?;
    let currency = data
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            StripeError::missing(
                &p("[price_data][currency]"),
                "Missing required param: line_items[0][price_data][currency].",
            )
        })?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(StripeError::invalid(
            &p("[price_data][currency]"),
            format!("Invalid currency: {currency}."),
        ));
    }
    let unit_amount = integer(data.get("unit_amount"), &p("[price_data][unit_amount]"))?;
    if unit_amount < 0 {
        return Err(StripeError::invalid(
            &p("[price_data][unit_amount]"),
            "This value must be greater than or equal to 0.".into(),
        ));
    }
    let name = data
        .get("product_data")
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
        .ok_or_else(|| {
            StripeError::missing(
                &p("[price_data][product_data][name]"),
                "You must specify `product` or `product_data[name]`.",
            )
        })?;
    let interval = match data.get("recurring") {
        None => None,
        Some(r) => {
            let text = r
                .get("interval")
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some(Interval::parse(text).ok_or_else(|| {
                StripeError::invalid(
                    &p("[price_data][recurring][interval]"),
                    format!("Invalid recurring interval: must be one of month or year (the sandbox's), got `{text}`."),
                )
            })?)
        }
    };
    let quantity = integer(item.get("quantity"), &p("[quantity]"))?;
    if quantity < 1 {
        return Err(StripeError::invalid(
            &p("[quantity]"),
            "This value must be greater than or equal to 1.".into(),
        ));
    }
    Ok((
        LineItem {
            name: name.to_owned(),
            unit_amount,
            quantity,
            interval,
        },
        currency.to_owned(),
    ))
}

fn string_map(v: Option<&Value>, param: &str) -> Result<BTreeMap<String, String>, StripeError> {
    match v {
        None => Ok(BTreeMap::new()),
        Some(Value::Object(m)) => Ok(m
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
            .collect()),
        Some(_) => Err(StripeError::invalid(param, "Invalid object".into())),
    }
}

fn integer(v: Option<&Value>, param: &str) -> Result<i64, StripeError> {
    let text = v
        .and_then(Value::as_str)
        .ok_or_else(|| StripeError::missing(param, &format!("Missing required param: {param}.")))?;
    text.parse()
        .map_err(|_| StripeError::invalid(param, format!("Invalid integer: {text}")))
}

fn required_str(params: &Value, name: &str) -> Result<String, StripeError> {
    optional_str(params, name)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| StripeError::missing(name, &format!("Missing required param: {name}.")))
}

fn optional_str(params: &Value, name: &str) -> Option<String> {
    params.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn check_url(param: &str, value: &str) -> Result<(), StripeError> {
    match url::Url::parse(value) {
        Ok(u) if u.scheme() == "http" || u.scheme() == "https" => Ok(()),
        _ => Err(StripeError::invalid(param, "Not a valid URL".into())),
    }
}
