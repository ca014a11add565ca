//! The relay's side of Stripe: creating and retrieving Checkout Sessions through async-stripe
//! (pointed at `STRIPE_API_BASE`); webhook events are read in [`event`].

mod event;

pub use event::{WebhookEvent, parse_event};

use std::collections::HashMap;
use std::time::Duration;

use erp_btp_protocol::Interval;
use erp_btp_protocol::Plan;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionCustomerUpdate,
    CreateCheckoutSessionCustomerUpdateAddress, CreateCheckoutSessionCustomerUpdateName,
    CreateCheckoutSessionLineItems, CreateCheckoutSessionLineItemsPriceData,
    CreateCheckoutSessionLineItemsPriceDataRecurring,
    CreateCheckoutSessionLineItemsPriceDataRecurringInterval,
    CreateCheckoutSessionSubscriptionData, CreateCheckoutSessionTaxIdCollection,
    ExpireCheckoutSession, ProductData, RetrieveCheckoutSession,
};
use stripe_shared::{CheckoutSession, CheckoutSessionLocale, CheckoutSessionMode};

use crate::config::StripeSettings;
use crate::domain::BuyerDetails;
use crate::domain::{CheckoutStatus, ClientId, PaymentStatus, SessionFacts, SessionId};

/// Why Stripe could not be used; never carries the key.
#[derive(Debug, thiserror::Error)]
pub enum StripeFailure {
    #[error("Stripe refused the request (HTTP {status}): {message}")]
    Refused { status: u16, message: String },
    #[error("Stripe could not be reached")]
    Unreachable(#[source] stripe::StripeError),
    #[error("Stripe could not be reached")]
    Http(#[source] reqwest::Error),
    #[error("Stripe's answer could not be read: {0}")]
    BadAnswer(String),
    #[error("no such Checkout Session")]
    NotFound,
}

impl From<stripe::StripeError> for StripeFailure {
    fn from(e: stripe::StripeError) -> Self {
        match e {
            stripe::StripeError::Stripe(_, 404) => Self::NotFound,
            stripe::StripeError::Stripe(err, status) => Self::Refused {
                status,
                message: err.message.unwrap_or_default(),
            },
            stripe::StripeError::JSONDeserialize(m) => Self::BadAnswer(m),
            other => Self::Unreachable(other),
        }
    }
}

#[derive(Clone)]
pub struct StripeApi {
    client: stripe::Client,
}

impl StripeApi {
    pub fn new(settings: &StripeSettings) -> Result<Self, StripeFailure> {
        let client = stripe::ClientBuilder::new(settings.secret_key.expose())
            .url(settings.api_base.clone())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(StripeFailure::Unreachable)?;
        Ok(Self { client })
    }

    /// Creates the contract's session: one inline EUR line at the plan's price, the client in
    /// `client_reference_id` and `metadata`, French locale; mode `payment`, or with `renew`
    /// mode `subscription` for the company's customer, the price recurring at the plan's
    /// interval and the client and plan in the subscription's metadata too.
    pub async fn create_session(
        &self,
        client: &ClientId,
        plan: &Plan,
        renew: Option<&Renew<'_>>,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<(SessionId, String), StripeFailure> {
        let mut price = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::EUR);
        price.unit_amount = Some(plan.price_cents);
        price.product_data = Some(ProductData::new(format!(
            "ERP BTP — abonnement {}",
            plan.name
        )));
        if let Some(renew) = renew {
            price.recurring = Some(CreateCheckoutSessionLineItemsPriceDataRecurring::new(
                match renew.interval {
                    Interval::Month => {
                        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Month
                    }
                    Interval::Year => {
                        CreateCheckoutSessionLineItemsPriceDataRecurringInterval::Year
                    }
                },
            ));
        }
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price_data = Some(price);
        item.quantity = Some(1);
        let metadata = HashMap::from([
            ("client_id".to_owned(), client.to_string()),
            ("plan".to_owned(), plan.id.clone()),
        ]);
        let mut request = CreateCheckoutSession::new().mode(CheckoutSessionMode::Payment);
        if let Some(renew) = renew {
            let mut data = CreateCheckoutSessionSubscriptionData::new();
            data.metadata = Some(metadata.clone());
            data.trial_end = renew.first_charge_at;
            // The billing address and VAT number collected go onto the company's customer,
            // so that its renewal invoices carry them too.
            let mut update = CreateCheckoutSessionCustomerUpdate::new();
            update.name = Some(CreateCheckoutSessionCustomerUpdateName::Auto);
            update.address = Some(CreateCheckoutSessionCustomerUpdateAddress::Auto);
            request = request
                .mode(CheckoutSessionMode::Subscription)
                .customer(renew.customer)
                .customer_update(update)
                .subscription_data(data);
        }
        // The facture names the buyer's billing address and, for a business, its VAT number.
        request = request
            .billing_address_collection(
                stripe_shared::CheckoutSessionBillingAddressCollection::Required,
            )
            .tax_id_collection(CreateCheckoutSessionTaxIdCollection::new(true));
        let session = request
            .line_items(vec![item])
            .client_reference_id(client.as_str())
            .metadata(metadata)
            .success_url(success_url)
            .cancel_url(cancel_url)
            .locale(CheckoutSessionLocale::Fr)
            .send(&self.client)
            .await?;
        let id = SessionId::parse(session.id.as_str())
            .ok_or_else(|| StripeFailure::BadAnswer("session id is not cs_…".into()))?;
        let url = session
            .url
            .ok_or_else(|| StripeFailure::BadAnswer("session has no url".into()))?;
        Ok((id, url))
    }

    /// Expires an open session; `Ok(false)` when Stripe says it is no longer open (completed
    /// meanwhile, or expired already).
    pub async fn expire_session(&self, id: &SessionId) -> Result<bool, StripeFailure> {
        match ExpireCheckoutSession::new(id.as_str())
            .send(&self.client)
            .await
        {
            Ok(_) => Ok(true),
            Err(stripe::StripeError::Stripe(_, 400)) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn retrieve_session(&self, id: &SessionId) -> Result<SessionFacts, StripeFailure> {
        let s = RetrieveCheckoutSession::new(id.as_str())
            .send(&self.client)
            .await?;
        Ok(facts_from_api(&s))
    }
}

/// What a subscription checkout needs beyond a one-off one.
pub struct Renew<'a> {
    pub customer: &'a str,
    pub interval: Interval,
    /// `subscription_data[trial_end]`: the first charge waits for prepaid time to run out.
    pub first_charge_at: Option<i64>,
}

fn facts_from_api(s: &CheckoutSession) -> SessionFacts {
    let meta = s.metadata.clone().unwrap_or_default();
    SessionFacts {
        id: SessionId::parse(s.id.as_str())
            .unwrap_or_else(|| SessionId::parse("cs_invalid").unwrap()),
        client_id: meta
            .get("client_id")
            .cloned()
            .or_else(|| s.client_reference_id.clone()),
        plan: meta.get("plan").cloned(),
        amount_total: s.amount_total,
        currency: s.currency.as_ref().map(|c| c.to_string()),
        payment_status: PaymentStatus::parse(s.payment_status.as_str()),
        status: s
            .status
            .as_ref()
            .and_then(|st| CheckoutStatus::parse(st.as_str())),
        livemode: s.livemode,
        payment_intent: s
            .payment_intent
            .as_ref()
            .map(|p| p.id().as_str().to_owned()),
        subscription: (s.mode == CheckoutSessionMode::Subscription).then(|| {
            s.subscription
                .as_ref()
                .map(|x| x.id().as_str().to_owned())
                .unwrap_or_default()
        }),
        buyer: s.customer_details.as_ref().and_then(buyer_of_api),
    }
}

/// The typed session's `customer_details`, read as the webhook's are (one shape for both).
fn buyer_of_api(
    d: &stripe_shared::PaymentPagesCheckoutSessionCustomerDetails,
) -> Option<BuyerDetails> {
    let address = d.address.as_ref().map(|a| {
        serde_json::json!({"line1": a.line1, "line2": a.line2, "postal_code": a.postal_code,
                           "city": a.city, "country": a.country})
    });
    let tax_ids = d.tax_ids.as_ref().map(|ids| {
        ids.iter()
            .map(|t| serde_json::json!({"type": t.type_.as_str(), "value": t.value}))
            .collect::<serde_json::Value>()
    });
    BuyerDetails::from_stripe(address.as_ref(), tax_ids.as_ref())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sandbox_speaks_the_api_version_the_relay_pins() {
        assert_eq!(
            stripe_sandbox::webhook::API_VERSION,
            stripe_shared::version::VERSION.as_str()
        );
    }
}
