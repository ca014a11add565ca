//! Paying as a user does in the tests: a checkout created through the relay's API, the
//! sandbox's hosted form submitted as a browser would, the renewal page's form; and sessions
//! recorded as the relay records those it creates, for tests that deliver their own events.

use super::{World, now};

impl World {
    /// Creates a checkout session for the test client; returns (session id, checkout url).
    pub async fn checkout(&self, plan: &str) -> (String, String) {
        let (status, body) = self
            .post_json(
                "/api/stripe/create-checkout-session",
                Some(&self.token),
                &format!(r#"{{"plan":"{plan}","renewal":"once"}}"#),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        (
            body["session_id"].as_str().unwrap().to_owned(),
            body["url"].as_str().unwrap().to_owned(),
        )
    }

    /// Submits the sandbox's hosted form as a browser would; returns status and redirect target.
    /// The page's test billing address goes with the fields, unless they give their own.
    pub async fn pay(&self, url: &str, fields: &[(&str, &str)]) -> (u16, Option<String>) {
        let mut form = fields.to_vec();
        for (k, v) in stripe_sandbox::details::TEST_BILLING_FORM {
            if !fields.iter().any(|(f, _)| *f == k) {
                form.push((k, v));
            }
        }
        let resp = self.http.post(url).form(&form).send().await.unwrap();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (resp.status().as_u16(), location)
    }

    pub async fn pay_card(&self, url: &str, number: &str) -> (u16, Option<String>) {
        self.pay(
            url,
            &[
                ("method", "card"),
                ("card_number", number),
                ("expiry", "12/34"),
                ("cvc", "123"),
            ],
        )
        .await
    }

    /// Pays a fresh session with 4242 and waits until the sandbox's deliveries are done.
    pub async fn buy(&self, plan: &str) -> String {
        let (id, url) = self.checkout(plan).await;
        let (status, _) = self.pay_card(&url, "4242424242424242").await;
        assert_eq!(status, 303);
        self.sandbox.idle().await;
        id
    }

    /// Refunds `amount` (all that is left when `None`) of the payment `intent` at the sandbox,
    /// as from Stripe's Dashboard; waits until its events are delivered. Stripe's refund.
    pub async fn refund_at_stripe(&self, intent: &str, amount: Option<i64>) -> serde_json::Value {
        let mut form = vec![("payment_intent", intent.to_owned())];
        form.extend(amount.map(|a| ("amount", a.to_string())));
        let answer = self
            .http
            .post(format!("{}/v1/refunds", self.sandbox_base))
            .bearer_auth(super::STRIPE_KEY)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let refund = answer.json().await.unwrap();
        self.sandbox.idle().await;
        refund
    }

    /// Records sessions of the test client for `plan` as the relay records those it creates, for
    /// tests that deliver their own events (the relay applies no other session).
    pub async fn created_sessions(&self, ids: &[String], plan: &str) {
        let sessions: Vec<(String, String, String)> = ids
            .iter()
            .map(|id| (id.clone(), self.client.to_string(), plan.to_owned()))
            .collect();
        created_sessions(&self.state.db, &sessions).await;
    }

    /// Submits the renewal page's form (a plan chosen through a renew `link`).
    pub async fn renew_form(&self, link: &str, plan: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/renew-subscription", self.base))
            .form(&[("link", link), ("plan", plan), ("renewal", "once")])
            .send()
            .await
            .unwrap()
    }
}

/// `POST /api/stripe/create-checkout-session` for `{"plan":"mensuel"}` with `token`.
/// Registers company `id` with the tests' SIREN, so that it may pay; its token.
pub async fn paying_client(db: &relay::db::Db, id: &str, name: &str) -> String {
    let id = relay::domain::ClientId::parse(id).unwrap();
    let token = db.add_client(&id, name).await.unwrap();
    let siren = relay::siren::Siren::parse(super::SIREN).unwrap();
    db.set_siren(&id, &siren).await.unwrap();
    token
}

pub async fn create_checkout(http: &reqwest::Client, base: &str, token: &str) -> reqwest::Response {
    http.post(format!("{base}/api/stripe/create-checkout-session"))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(r#"{"plan":"mensuel","renewal":"once"}"#)
        .send()
        .await
        .unwrap()
}

/// Records `(session, client, plan)` as the relay records the sessions it creates at Stripe
/// (open, amount of the plan), in one transaction.
pub async fn created_sessions(db: &relay::db::Db, sessions: &[(String, String, String)]) {
    let plans = relay::plans::Catalogue::default();
    let mut tx = db.pool.begin().await.unwrap();
    for (id, client, plan) in sessions {
        let amount = plans.get(plan).map_or(0, |p| p.price_cents);
        sqlx::query(
            "INSERT INTO checkout_sessions (session_id, client_id, plan, amount_cents, currency,
                 state, created_at, updated_at, origin, recurring)
             VALUES ($1, $2, $3, $4, 'eur', 'open', $5, $5, 'test', 0)",
        )
        .bind(id)
        .bind(client)
        .bind(plan)
        .bind(amount)
        .bind(now())
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}
