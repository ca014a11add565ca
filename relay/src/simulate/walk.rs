//! The walk-through's side of the relay: connecting with the client's token, the status long
//! poll, choosing a plan, creating the checkout, paying through the sandbox's hosted form as a
//! browser would, and waiting for the new expiry.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use erp_btp_protocol::{CheckoutResponse, PlansResponse, SubscriptionStatus};
use serde_json::{Value, json};

use super::{PaymentOutcome, ask, pick};

/// The relay as the walk-through talks to it, with the client's token.
pub(super) struct Walk {
    pub http: reqwest::Client,
    pub relay: String,
    pub token: String,
    /// The simulated Stripe's secret key, for the steps that drive its test clock.
    pub stripe_key: Option<String>,
}

impl Walk {
    /// Step 1: the relay answers, and in which Stripe mode.
    pub(super) async fn connect(relay: &str, token: Option<String>) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let relay = relay.trim_end_matches('/').to_owned();
        let config: Value = http
            .get(format!("{relay}/api/stripe/config"))
            .send()
            .await
            .with_context(|| format!("relais injoignable à {relay}"))?
            .json()
            .await?;
        println!(
            "1. Relais {relay} joint, Stripe en mode {}.",
            config["mode"].as_str().unwrap_or("?")
        );
        let token = match token {
            Some(t) => t,
            None => ask("Jeton d'API du client :")?,
        };
        Ok(Self {
            http,
            relay,
            token,
            stripe_key: None,
        })
    }

    /// The subscription, held up to `wait` seconds until its version leaves `since`.
    pub(super) async fn status(&self, wait: u64, since: i64) -> anyhow::Result<SubscriptionStatus> {
        let resp = self
            .http
            .get(format!(
                "{}/api/subscription?wait={wait}&since={since}",
                self.relay
            ))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("le relais refuse le jeton ({})", resp.status());
        }
        Ok(resp.json().await?)
    }

    pub(super) async fn choose_plan(&self) -> anyhow::Result<String> {
        let plans: PlansResponse = self
            .http
            .get(format!("{}/api/stripe/plans", self.relay))
            .send()
            .await?
            .json()
            .await?;
        let choices: Vec<(&str, &str)> = plans
            .plans
            .iter()
            .map(|p| (p.id.as_str(), p.name.as_str()))
            .collect();
        Ok(pick("Plan :", &choices)?.to_owned())
    }

    /// A checkout for `plan`, with the other fields of `extra` (`renewal`, `test_clock`).
    pub(super) async fn create_checkout(
        &self,
        plan: &str,
        mut extra: Value,
    ) -> anyhow::Result<CheckoutResponse> {
        extra["plan"] = plan.into();
        let resp = self
            .http
            .post(format!("{}/api/stripe/create-checkout-session", self.relay))
            .bearer_auth(&self.token)
            .json(&extra)
            .send()
            .await?;
        if !resp.status().is_success() {
            bail!("création de la session refusée : {}", resp.text().await?);
        }
        Ok(resp.json().await?)
    }

    /// Steps 4 and 5: the checkout page as a browser uses it, then the bank for SEPA.
    pub(super) async fn pay(
        &self,
        session: &CheckoutResponse,
        outcome: PaymentOutcome,
    ) -> anyhow::Result<()> {
        let sandbox = session
            .url
            .split("/c/pay/")
            .next()
            .context("l'URL de paiement n'est pas celle du sandbox")?;
        let options = |body: Value| {
            self.http
                .post(format!("{sandbox}/_sandbox/options"))
                .json(&body)
                .send()
        };
        if let Some(delivery) = outcome.delivery() {
            options(delivery).await?;
        }
        let mut answer = match outcome {
            PaymentOutcome::Cancel => {
                self.http
                    .get(format!("{}/cancel", session.url))
                    .send()
                    .await?
            }
            _ => {
                self.http
                    .post(&session.url)
                    .form(&outcome.form())
                    .send()
                    .await?
            }
        };
        if matches!(
            outcome,
            PaymentOutcome::ThreeDs | PaymentOutcome::ThreeDsRefused
        ) {
            println!("4. La banque demande une confirmation 3-D Secure.");
            let action = match outcome {
                PaymentOutcome::ThreeDs => "confirm",
                _ => "refuse",
            };
            answer = self
                .http
                .post(format!("{}/3ds", session.url))
                .form(&[("action", action)])
                .send()
                .await?;
        }
        match answer
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
        {
            Some(to) => println!("4. Page de paiement terminée, redirection vers {to}"),
            None => println!(
                "4. Page de paiement : paiement non effectué (HTTP {}).",
                answer.status()
            ),
        }
        if outcome.is_sepa() {
            let settled: Value = self
                .http
                .post(format!(
                    "{sandbox}/_sandbox/sessions/{}/settle",
                    session.session_id
                ))
                .send()
                .await?
                .json()
                .await?;
            println!("5. Prélèvement SEPA réglé par la banque (simulé) : {settled}");
        }
        let _ = options(json!({})).await;
        Ok(())
    }

    /// Step 6: long polls until the expiry moves or `wait` passes. A delayed payment changes
    /// the version twice (pending, then paid), hence the loop.
    pub(super) async fn wait_for_new_expiry(
        &self,
        before: &SubscriptionStatus,
        wait: Duration,
    ) -> anyhow::Result<SubscriptionStatus> {
        println!(
            "6. Attente de la mise à jour de l'abonnement (long poll, {} s au plus)…",
            wait.as_secs()
        );
        let deadline = Instant::now() + wait;
        let mut after = before.clone();
        while after.expires_at == before.expires_at {
            let left = deadline.saturating_duration_since(Instant::now()).as_secs();
            if left == 0 {
                break;
            }
            let next = self.status(left, after.version).await?;
            if next.version != after.version && next.expires_at == before.expires_at {
                println!(
                    "   … statut {} (version {})",
                    next.status.as_str(),
                    next.version
                );
            }
            after = next;
        }
        Ok(after)
    }
}
