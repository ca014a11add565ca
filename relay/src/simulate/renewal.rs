//! `relay simulate subscribe | renewal-paid | renewal-failed | cancel-renewal | year`: automatic
//! renewal walked through against a relay started with `serve --sandbox`. The company's Stripe
//! customer lives on a test clock of the sandbox (`/sandbox-stripe`); each step runs that clock
//! forward as Stripe's test mode does, then prints what the relay made of it.

use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use erp_btp_protocol::{SubscriptionStatus, fr};
use serde_json::{Value, json};

use super::{PaymentOutcome, Walk};

const HOUR: i64 = 3600;

#[derive(Subcommand, Clone, Copy)]
pub enum Step {
    /// S'abonne avec renouvellement automatique (carte 4242), client Stripe sur une horloge de test.
    Subscribe,
    /// Avance l'horloge jusqu'après la prochaine échéance : le renouvellement est payé.
    RenewalPaid,
    /// Remplace la carte par 4000 0000 0000 0341 puis passe l'échéance : le prélèvement échoue.
    RenewalFailed,
    /// Demande l'arrêt du renouvellement à la fin de la période en cours.
    CancelRenewal,
    /// Déroule douze mois de renouvellements et affiche chaque facture et l'échéance qui suit.
    Year,
}

/// The company's billing at the sandbox: customer, its clock, its live subscription.
struct Billing {
    customer: String,
    clock: String,
    subscription: Option<String>,
}

impl Walk {
    fn stripe_url(&self, path: &str) -> String {
        format!("{}/sandbox-stripe/v1{path}", self.relay)
    }

    async fn stripe(&self, request: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let key = self.stripe_key.as_deref().context(
            "donnez la clé secrète du Stripe simulé (affichée par `relay serve --sandbox`) : --stripe-key ou STRIPE_SECRET_KEY",
        )?;
        let resp = request.bearer_auth(key).send().await?;
        let status = resp.status();
        let body: Value = resp
            .json()
            .await
            .context("réponse du Stripe simulé illisible")?;
        if !status.is_success() {
            bail!("le Stripe simulé refuse : {}", body["error"]["message"]);
        }
        Ok(body)
    }

    async fn billing(&self, client_id: &str) -> anyhow::Result<Billing> {
        let customers = self
            .stripe(self.http.get(self.stripe_url("/customers")))
            .await?;
        let customer = customers["data"]
            .as_array()
            .and_then(|all| {
                all.iter().find(|c| {
                    c["metadata"]["client_id"] == client_id && c["test_clock"].is_string()
                })
            })
            .context(
                "aucun abonnement sur horloge de test : lancez d'abord `relay simulate subscribe`",
            )?;
        let id = customer["id"].as_str().unwrap_or_default().to_owned();
        let subs = self
            .stripe(
                self.http
                    .get(self.stripe_url("/subscriptions"))
                    .query(&[("customer", id.as_str())]),
            )
            .await?;
        Ok(Billing {
            clock: customer["test_clock"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            subscription: subs["data"][0]["id"].as_str().map(str::to_owned),
            customer: id,
        })
    }

    async fn subscribe(&self, plan: &str) -> anyhow::Result<SubscriptionStatus> {
        let before = self.status(0, 0).await?;
        let now = chrono::Utc::now().timestamp();
        let clock = self
            .stripe(
                self.http
                    .post(self.stripe_url("/test_helpers/test_clocks"))
                    .form(&[
                        ("frozen_time", now.to_string()),
                        ("name", "relay simulate".into()),
                    ]),
            )
            .await?;
        let clock = clock["id"].as_str().context("horloge sans id")?;
        let session = self
            .create_checkout(plan, json!({"renewal": "auto", "test_clock": clock}))
            .await?;
        println!(
            "Session d'abonnement créée ({plan}, renouvellement automatique) : {}",
            session.session_id
        );
        self.pay(&session, PaymentOutcome::Paid).await?;
        self.changed(&before).await
    }

    /// Runs the company's clock to `to` and waits for it to be ready.
    async fn advance(&self, clock: &str, to: i64) -> anyhow::Result<()> {
        let path = format!("/test_helpers/test_clocks/{clock}");
        self.stripe(
            self.http
                .post(self.stripe_url(&format!("{path}/advance")))
                .form(&[("frozen_time", to.to_string())]),
        )
        .await?;
        for _ in 0..300 {
            if self.stripe(self.http.get(self.stripe_url(&path))).await?["status"] == "ready" {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("l'horloge de test n'a pas fini d'avancer")
    }

    /// Crosses the next charge (and its finalisation, an hour later).
    async fn next_period(&self, billing: &Billing) -> anyhow::Result<SubscriptionStatus> {
        let before = self.status(0, 0).await?;
        let next = before
            .renewal
            .as_ref()
            .and_then(|r| r.next_charge_at.as_deref())
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .context("aucun renouvellement prévu (arrêté ou pas encore d'abonnement)")?;
        self.advance(&billing.clock, next.timestamp() + 2 * HOUR)
            .await?;
        self.changed(&before).await
    }

    /// The status once the relay has seen the webhooks of a step.
    async fn changed(&self, before: &SubscriptionStatus) -> anyhow::Result<SubscriptionStatus> {
        let mut after = self.status(15, before.version).await?;
        // A step sends several events: let the rest land.
        while let Ok(next) =
            tokio::time::timeout(Duration::from_millis(700), self.status(1, after.version)).await
        {
            let next = next?;
            if next.version == after.version {
                break;
            }
            after = next;
        }
        Ok(after)
    }

    async fn latest_invoice(&self, billing: &Billing) -> anyhow::Result<String> {
        let sub = billing
            .subscription
            .as_deref()
            .context("pas d'abonnement")?;
        let s = self
            .stripe(
                self.http
                    .get(self.stripe_url(&format!("/subscriptions/{sub}")))
                    .query(&[("expand[]", "latest_invoice")]),
            )
            .await?;
        let inv = &s["latest_invoice"];
        let day = |p: &str| {
            inv.pointer(p)
                .and_then(Value::as_i64)
                .map(fr::date)
                .unwrap_or_default()
        };
        Ok(format!(
            "facture {} {} de {} pour la période du {} au {}",
            inv["number"].as_str().unwrap_or("?"),
            match inv["status"].as_str() {
                Some("paid") => "payée",
                Some("open") => "impayée",
                _ => "en préparation",
            },
            fr::euros(inv["amount_due"].as_i64().unwrap_or(0)),
            day("/lines/data/0/period/start"),
            day("/lines/data/0/period/end"),
        ))
    }
}

fn describe(s: &SubscriptionStatus) -> String {
    let r = s.renewal.as_ref();
    let date = |t: Option<&str>| {
        t.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|d| fr::date(d.timestamp()))
            .unwrap_or_else(|| "—".into())
    };
    format!(
        "statut {}, accès jusqu'au {}, payé jusqu'au {}, prochain prélèvement {}{}{}",
        s.status.as_str(),
        date(s.expires_at.as_deref()),
        date(r.and_then(|r| r.paid_until.as_deref())),
        date(r.and_then(|r| r.next_charge_at.as_deref())),
        if r.is_some_and(|r| r.payment_failed) {
            ", prélèvement échoué (délai de grâce)"
        } else {
            ""
        },
        if r.is_some_and(|r| r.cancel_at_period_end) {
            ", renouvellement arrêté à la fin de la période"
        } else {
            ""
        },
    )
}

pub async fn run(walk: &Walk, step: Step, plan: Option<String>) -> anyhow::Result<()> {
    let me = walk.status(0, 0).await?.client_id;
    let plan = plan.unwrap_or_else(|| "mensuel".into());
    match step {
        Step::Subscribe => println!("Abonné : {}.", describe(&walk.subscribe(&plan).await?)),
        Step::RenewalPaid => {
            let billing = walk.billing(&me).await?;
            let after = walk.next_period(&billing).await?;
            println!(
                "Renouvellement : {} ; {}.",
                walk.latest_invoice(&billing).await?,
                describe(&after)
            );
        }
        Step::RenewalFailed => {
            let billing = walk.billing(&me).await?;
            walk.http
                .post(format!(
                    "{}/sandbox-stripe/_sandbox/customers/{}/card",
                    walk.relay, billing.customer
                ))
                .json(&json!({"number": stripe_sandbox::billing::CARD_DECLINES_LATER}))
                .send()
                .await?
                .error_for_status()?;
            println!("Carte remplacée par 4000 0000 0000 0341 (refusée à chaque prélèvement).");
            let after = walk.next_period(&billing).await?;
            println!(
                "Renouvellement : {} ; {}.",
                walk.latest_invoice(&billing).await?,
                describe(&after)
            );
        }
        Step::CancelRenewal => {
            let billing = walk.billing(&me).await?;
            let before = walk.status(0, 0).await?;
            let sub = billing.subscription.context("aucun abonnement actif")?;
            walk.stripe(
                walk.http
                    .post(walk.stripe_url(&format!("/subscriptions/{sub}")))
                    .form(&[("cancel_at_period_end", "true")]),
            )
            .await?;
            println!(
                "Renouvellement arrêté : {}.",
                describe(&walk.changed(&before).await?)
            );
        }
        Step::Year => {
            if walk.billing(&me).await.is_err() {
                println!("Mois 0 : {}.", describe(&walk.subscribe(&plan).await?));
            }
            let billing = walk.billing(&me).await?;
            let months = if plan == "annuel" { 1 } else { 12 };
            for month in 1..=months {
                let after = walk.next_period(&billing).await?;
                println!(
                    "Échéance {month} : {} ; {}.",
                    walk.latest_invoice(&billing).await?,
                    describe(&after)
                );
            }
        }
    }
    Ok(())
}
