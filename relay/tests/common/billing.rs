//! Billing helpers: Stripe's API on the sandbox (test clocks, subscriptions, the card control),
//! subscribing the test company on a test clock, and running that clock forward with the relay's
//! clock following it, as an admin would live through the months.

use serde_json::Value;

use super::{STRIPE_KEY, World};

pub const CARD_PAYS: &str = "4242424242424242";
pub const CARD_DECLINES: &str = "4000000000000341";

impl World {
    pub async fn stripe(
        &self,
        method: reqwest::Method,
        path: &str,
        form: &[(&str, String)],
    ) -> Value {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.sandbox_base))
            .bearer_auth(STRIPE_KEY)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = resp.status();
        let body: Value = resp.json().await.unwrap();
        assert!(status.is_success(), "{path}: {body}");
        body
    }

    /// A test clock frozen at the relay's now; its id and frozen time.
    pub async fn new_clock(&self) -> (String, i64) {
        let now = self.state.clock.now();
        let clock = self
            .stripe(
                reqwest::Method::POST,
                "/v1/test_helpers/test_clocks",
                &[("frozen_time", now.to_string())],
            )
            .await;
        (
            clock["id"].as_str().unwrap().to_owned(),
            clock["frozen_time"].as_i64().unwrap(),
        )
    }

    /// Subscribes the test company to `plan` with automatic renewal, its customer on `clock`,
    /// paying with 4242; returns the session id once the webhooks are in.
    pub async fn subscribe(&self, plan: &str, clock: &str) -> String {
        let (code, body) = self
            .post_json(
                "/api/stripe/create-checkout-session",
                Some(&self.token),
                &format!(r#"{{"plan":"{plan}","renewal":"auto","test_clock":"{clock}"}}"#),
            )
            .await;
        assert_eq!(code, 200, "{body}");
        let (status, _) = self
            .pay_card(body["url"].as_str().unwrap(), CARD_PAYS)
            .await;
        assert_eq!(status, 303);
        self.sandbox.idle().await;
        body["session_id"].as_str().unwrap().to_owned()
    }

    /// Runs `clock` to `to`, waits for it to be ready and its webhooks delivered, then sets
    /// the relay's clock to the same time.
    pub async fn advance(&self, clock: &str, to: i64) {
        let path = format!("/v1/test_helpers/test_clocks/{clock}");
        self.stripe(
            reqwest::Method::POST,
            &format!("{path}/advance"),
            &[("frozen_time", to.to_string())],
        )
        .await;
        for _ in 0..200 {
            if self.stripe(reqwest::Method::GET, &path, &[]).await["status"] == "ready" {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        self.sandbox.idle().await;
        self.state.clock.set(to);
    }

    pub async fn customer(&self) -> String {
        self.state
            .db
            .customer(&self.client)
            .await
            .unwrap()
            .expect("a customer")
            .0
    }

    /// The sandbox's stand-in for the portal: the customer's card becomes `number`.
    pub async fn replace_card(&self, number: &str) {
        let resp = self
            .http
            .post(format!(
                "{}/_sandbox/customers/{}/card",
                self.sandbox_base,
                self.customer().await
            ))
            .json(&serde_json::json!({ "number": number }))
            .send()
            .await
            .unwrap();
        assert!(resp.status().is_success());
        self.sandbox.idle().await;
    }

    /// The company's subscription id, as the relay stored it.
    pub async fn subscription_id(&self) -> String {
        let row = self
            .state
            .db
            .subscription(&self.client)
            .await
            .unwrap()
            .unwrap();
        row.renewal.subscription_id.expect("a subscription")
    }

    pub async fn paid_until(&self) -> Option<i64> {
        let row = self
            .state
            .db
            .subscription(&self.client)
            .await
            .unwrap()
            .unwrap();
        row.renewal.paid_until
    }

    pub async fn paid_invoices(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM invoices").await
    }

    /// `GET /api/subscription` at the relay's clock: status, access end, renewal.
    pub async fn renewal(&self) -> (String, Option<i64>, Value) {
        let status = self.status().await;
        let expires = status["expires_at"]
            .as_str()
            .map(|e| chrono::DateTime::parse_from_rfc3339(e).unwrap().timestamp());
        (
            status["status"].as_str().unwrap().to_owned(),
            expires,
            status["renewal"].clone(),
        )
    }
}

/// `months` calendar months after `t` (the anchor's day kept, as Stripe does).
pub fn months_after(t: i64, months: u32) -> i64 {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .checked_add_months(chrono::Months::new(months))
        .unwrap()
        .timestamp()
}
