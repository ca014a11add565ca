//! The relay's Billing calls to Stripe (customers, subscriptions, refunds, the event list), made with
//! plain form-encoded HTTP as Stripe documents them and read leniently (`renewal::facts`), so
//! that they work whatever API version the account uses and against the sandbox alike. The
//! `Stripe-Version` sent is async-stripe's, the one the Checkout calls use.

use std::time::Duration;

use serde_json::Value;

use crate::config::StripeSettings;
use crate::money_back::facts::RefundFacts;
use crate::renewal::facts::SubscriptionFacts;
use crate::stripe::StripeFailure;

#[derive(Clone)]
pub struct BillingApi {
    http: reqwest::Client,
    base: String,
    key: crate::config::Secret,
}

fn id_of(body: &Value, prefix: &str) -> Result<String, StripeFailure> {
    body.get("id")
        .and_then(Value::as_str)
        .filter(|id| id.starts_with(prefix))
        .map(str::to_owned)
        .ok_or_else(|| StripeFailure::BadAnswer(format!("answer has no {prefix} id")))
}

/// One page of `GET /v1/events`, newest first.
pub struct EventPage {
    pub events: Vec<Value>,
    pub has_more: bool,
}

impl BillingApi {
    pub fn new(settings: &StripeSettings) -> Result<Self, StripeFailure> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| StripeFailure::BadAnswer(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: format!("{}v1", settings.api_base),
            key: settings.secret_key.clone(),
        })
    }

    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Value, StripeFailure> {
        let response = request
            .bearer_auth(self.key.expose())
            .header("Stripe-Version", stripe_shared::version::VERSION.as_str())
            .send()
            .await
            .map_err(|e| StripeFailure::Http(e.without_url()))?;
        let status = response.status().as_u16();
        let body: Value = response
            .json()
            .await
            .map_err(|e| StripeFailure::BadAnswer(format!("not JSON: {}", e.without_url())))?;
        match status {
            200..=299 => Ok(body),
            404 => Err(StripeFailure::NotFound),
            _ => Err(StripeFailure::Refused {
                status,
                message: body
                    .pointer("/error/message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
            }),
        }
    }

    /// The company's Stripe customer: French, named, tagged with the client id, and on
    /// `test_clock` when given (test mode only; the caller checks).
    pub async fn create_customer(
        &self,
        name: &str,
        client_id: &str,
        test_clock: Option<&str>,
    ) -> Result<String, StripeFailure> {
        let mut form = vec![
            ("name", name.to_owned()),
            ("preferred_locales[]", "fr".to_owned()),
            ("metadata[client_id]", client_id.to_owned()),
        ];
        if let Some(clock) = test_clock {
            form.push(("test_clock", clock.to_owned()));
        }
        let body = self
            .call(
                self.http
                    .post(format!("{}/customers", self.base))
                    .form(&form),
            )
            .await?;
        id_of(&body, "cus_")
    }

    /// The relay's portal configuration: the card can be replaced, renewal stopped at the
    /// period's end and resumed; no invoice history (the factures are the relay's).
    pub async fn create_portal_configuration(&self) -> Result<String, StripeFailure> {
        let form = [
            ("features[payment_method_update][enabled]", "true"),
            ("features[subscription_cancel][enabled]", "true"),
            ("features[subscription_cancel][mode]", "at_period_end"),
            ("features[subscription_cancel][proration_behavior]", "none"),
            ("features[invoice_history][enabled]", "false"),
            ("features[customer_update][enabled]", "false"),
            ("features[subscription_update][enabled]", "false"),
        ];
        let url = format!("{}/billing_portal/configurations", self.base);
        let body = self.call(self.http.post(url).form(&form)).await?;
        id_of(&body, "bpc_")
    }

    /// A portal session for `customer`, in French, returning to `return_url`; its URL.
    pub async fn portal_session(
        &self,
        customer: &str,
        configuration: &str,
        return_url: &str,
    ) -> Result<String, StripeFailure> {
        let form = [
            ("customer", customer),
            ("configuration", configuration),
            ("return_url", return_url),
            ("locale", "fr"),
        ];
        let url = format!("{}/billing_portal/sessions", self.base);
        let body = self.call(self.http.post(url).form(&form)).await?;
        body.get("url")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| StripeFailure::BadAnswer("portal session has no url".into()))
    }

    /// The subscription as Stripe holds it now, with its card and latest invoice expanded.
    pub async fn subscription(&self, id: &str) -> Result<SubscriptionFacts, StripeFailure> {
        if !id.starts_with("sub_") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StripeFailure::NotFound);
        }
        let body = self
            .call(
                self.http
                    .get(format!("{}/subscriptions/{id}", self.base))
                    .query(&[
                        ("expand[]", "default_payment_method"),
                        ("expand[]", "latest_invoice"),
                    ]),
            )
            .await?;
        let mut sub = SubscriptionFacts::read(&body)
            .ok_or_else(|| StripeFailure::BadAnswer("not a subscription".into()))?;
        sub.read_at = read_clock();
        Ok(sub)
    }

    /// The PaymentIntent that paid invoice `id` (`GET /v1/invoice_payments`), if one did.
    pub async fn invoice_payment_intent(&self, id: &str) -> Result<Option<String>, StripeFailure> {
        if !id.starts_with("in_") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Ok(None);
        }
        let body = self
            .call(
                self.http
                    .get(format!("{}/invoice_payments", self.base))
                    .query(&[("invoice", id), ("status", "paid")]),
            )
            .await?;
        Ok(body
            .get("data")
            .and_then(Value::as_array)
            .and_then(|payments| crate::renewal::facts::paid_intent(payments)))
    }

    /// The refunds of a charge, as Stripe holds them now (its 100 latest: a payment is refunded
    /// in a few parts at most).
    pub async fn refunds_of_charge(&self, charge: &str) -> Result<Vec<RefundFacts>, StripeFailure> {
        if !charge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(StripeFailure::NotFound);
        }
        let body = self
            .call(
                self.http
                    .get(format!("{}/refunds", self.base))
                    .query(&[("charge", charge), ("limit", "100")]),
            )
            .await?;
        let livemode = self.key.expose().starts_with("sk_live_");
        Ok(body
            .get("data")
            .and_then(Value::as_array)
            .map(|all| {
                all.iter()
                    .filter_map(|r| RefundFacts::read(r, livemode))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Refunds `amount` of the payment `intent` (`POST /v1/refunds`), the facture's number and the
    /// operator's reason in its metadata; `key` makes a retried request the same refund.
    pub async fn create_refund(
        &self,
        intent: &str,
        amount: i64,
        facture: &str,
        reason: Option<&str>,
        key: &str,
    ) -> Result<RefundFacts, StripeFailure> {
        let amount = amount.to_string();
        let mut form = vec![
            ("payment_intent", intent),
            ("amount", &amount),
            ("reason", "requested_by_customer"),
            ("metadata[facture]", facture),
        ];
        form.extend(reason.map(|r| ("metadata[reason]", r)));
        let request = self
            .http
            .post(format!("{}/refunds", self.base))
            .header("Idempotency-Key", key)
            .form(&form);
        let body = self.call(request).await?;
        let livemode = self.key.expose().starts_with("sk_live_");
        RefundFacts::read(&body, livemode)
            .ok_or_else(|| StripeFailure::BadAnswer("not a refund".into()))
    }

    /// Sets the subscription to stop at the end of its period (`cancel_at_period_end=true`).
    pub async fn cancel_at_period_end(&self, id: &str) -> Result<(), StripeFailure> {
        if !id.starts_with("sub_") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(StripeFailure::NotFound);
        }
        let request = self
            .http
            .post(format!("{}/subscriptions/{id}", self.base))
            .form(&[("cancel_at_period_end", "true")]);
        self.call(request).await.map(|_| ())
    }

    /// One page of events of `types` created at or after `since`, after `starting_after`.
    pub async fn events(
        &self,
        types: &[&str],
        since: i64,
        starting_after: Option<&str>,
    ) -> Result<EventPage, StripeFailure> {
        let mut query: Vec<(&str, String)> =
            types.iter().map(|t| ("types[]", (*t).to_owned())).collect();
        query.push(("created[gte]", since.to_string()));
        query.push(("limit", "100".into()));
        if let Some(after) = starting_after {
            query.push(("starting_after", after.to_owned()));
        }
        let body = self
            .call(self.http.get(format!("{}/events", self.base)).query(&query))
            .await?;
        Ok(EventPage {
            events: body
                .get("data")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default(),
            has_more: body
                .get("has_more")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// The system clock in microseconds, for ordering reads of one subscription (two reads in one
/// microsecond are not ordered, and neither is applied over the other: see
/// `core::renewal_steps::subscription_read`).
fn read_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as i64)
}
