//! What Checkout collects about the buyer, as Stripe does: the billing address
//! (`billing_address_collection=required`), a business tax ID (`tax_id_collection[enabled]`,
//! format-checked on the page like Stripe's `eu_vat`, its key not checked: Stripe verifies EU VAT
//! numbers later, asynchronously), and `customer_update[name|address]=auto`, which copies them
//! onto the session's customer. They appear as the session's `customer_details`, on the customer,
//! and on its invoices (`customer_name`, `customer_address`, `customer_tax_ids`).

use serde_json::{Value, json};

use crate::error::StripeError;

/// The test address the page shows at first, as a browser posts it back: for tools and tests
/// that post the page's form themselves.
pub const TEST_BILLING_FORM: [(&str, &str); 4] = [
    ("line1", "1 rue de la Paix"),
    ("postal_code", "75002"),
    ("city", "Paris"),
    ("country", "FR"),
];

/// The collection options of a session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collection {
    pub address_required: bool,
    pub tax_id: bool,
    pub update_name: bool,
    pub update_address: bool,
}

impl Collection {
    /// Reads and validates the create parameters, with Stripe's wording.
    pub fn from_params(params: &Value, customer: Option<&str>) -> Result<Self, StripeError> {
        let address_required = match params
            .get("billing_address_collection")
            .and_then(Value::as_str)
        {
            None | Some("auto") => false,
            Some("required") => true,
            Some(other) => {
                return Err(StripeError::invalid(
                    "billing_address_collection",
                    format!(
                        "Invalid billing_address_collection: must be one of auto or required; `{other}` was given."
                    ),
                ));
            }
        };
        let tax_id = match params
            .pointer("/tax_id_collection/enabled")
            .and_then(Value::as_str)
        {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(StripeError::invalid(
                    "tax_id_collection[enabled]",
                    "Invalid boolean: must be true or false.".into(),
                ));
            }
        };
        let update = |field: &str| -> Result<bool, StripeError> {
            match params
                .pointer(&format!("/customer_update/{field}"))
                .and_then(Value::as_str)
            {
                None | Some("never") => Ok(false),
                Some("auto") => Ok(true),
                Some(_) => Err(StripeError::invalid(
                    &format!("customer_update[{field}]"),
                    "Invalid value: must be one of auto or never.".into(),
                )),
            }
        };
        let (update_name, update_address) = (update("name")?, update("address")?);
        if params.get("customer_update").is_some() && customer.is_none() {
            return Err(StripeError::invalid(
                "customer_update",
                "`customer_update` can only be used with `customer`.".into(),
            ));
        }
        if tax_id && customer.is_some() && !update_name {
            return Err(StripeError::invalid(
                "tax_id_collection[enabled]",
                "When `customer` is set, tax ID collection requires `customer_update[name]` to be set to `auto`.".into(),
            ));
        }
        Ok(Self {
            address_required,
            tax_id,
            update_name,
            update_address,
        })
    }
}

/// The buyer's name, billing address and tax ID, as entered on the page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingDetails {
    pub name: Option<String>,
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// An `eu_vat` tax ID.
    pub tax_id: Option<String>,
}

/// The shape of an `eu_vat` tax ID, as the page checks it: two capital letters, then 8 to 12
/// letters or digits. Characters are counted, never bytes: a payer may type `€` first.
pub fn eu_vat_shape(typed: &str) -> bool {
    let cut = typed.char_indices().nth(2).map_or(typed.len(), |(i, _)| i);
    let (prefix, rest) = typed.split_at(cut);
    prefix.len() == 2
        && prefix.bytes().all(|b| b.is_ascii_uppercase())
        && (8..=12).contains(&rest.len())
        && rest.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn filled(v: &str) -> Option<String> {
    Some(v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl BillingDetails {
    /// The page's fields, checked as Stripe's page checks them (French messages).
    pub fn from_form(
        c: &Collection,
        [name, line1, postal_code, city, country, tax_id]: [&str; 6],
    ) -> Result<Self, &'static str> {
        let d = Self {
            name: filled(name),
            line1: filled(line1),
            line2: None,
            postal_code: filled(postal_code),
            city: filled(city),
            country: filled(country).map(|c| c.to_uppercase()),
            tax_id: filled(tax_id)
                .filter(|_| c.tax_id)
                .map(|t| t.replace(' ', "").to_uppercase()),
        };
        let address = [&d.line1, &d.postal_code, &d.city, &d.country];
        if c.address_required && address.iter().any(|f| f.is_none()) {
            return Err(
                "Adresse de facturation incomplète : rue, code postal, ville et pays sont requis.",
            );
        }
        if d.country
            .as_ref()
            .is_some_and(|c| c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()))
        {
            return Err("Pays : indiquez le code à deux lettres (FR pour la France).");
        }
        if let Some(t) = &d.tax_id {
            if !eu_vat_shape(t) {
                return Err(
                    "Numéro de TVA non reconnu : FR suivi de 11 chiffres (ex. FR44732829320).",
                );
            }
        }
        Ok(d)
    }

    /// What the page shows at first when nothing is known of the buyer: a test address, as the
    /// test cards are shown, so that a tester pays in one click.
    pub fn test_address() -> Self {
        let [line1, postal_code, city, country] =
            TEST_BILLING_FORM.map(|(_, v)| Some(v.to_owned()));
        Self {
            line1,
            postal_code,
            city,
            country,
            ..Self::default()
        }
    }

    pub fn address_json(&self) -> Value {
        json!({"city": self.city, "country": self.country, "line1": self.line1,
               "line2": self.line2, "postal_code": self.postal_code, "state": null})
    }

    pub fn tax_ids_json(&self) -> Value {
        match &self.tax_id {
            Some(v) => json!([{"type": "eu_vat", "value": v}]),
            None => json!([]),
        }
    }

    /// The session's `customer_details`.
    pub fn customer_details_json(&self) -> Value {
        json!({"address": self.address_json(), "email": null, "name": self.name, "phone": null,
               "tax_exempt": "none", "tax_ids": self.tax_ids_json()})
    }
}
