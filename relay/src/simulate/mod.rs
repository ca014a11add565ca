//! `relay simulate`: the original specification's interactive test, kept as a terminal walk-through
//! of one renewal against a relay started with `serve --sandbox`. Each step is printed; the
//! payment is made through the sandbox's hosted checkout form, exactly as a browser would.
//! Automatic renewal has its own steps (`subscribe`, `year`…, see `renewal`).

mod renewal;

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use erp_btp_protocol::{CheckoutResponse, PlansResponse, SubscriptionStatus};
use serde_json::{Value, json};

#[derive(Args)]
pub struct SimulateArgs {
    /// Étape du renouvellement automatique (sans étape : un paiement unique pas à pas).
    #[command(subcommand)]
    step: Option<renewal::Step>,
    /// Adresse du relais (lancé avec `relay serve --sandbox`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    relay: String,
    /// Jeton d'API du client (sinon demandé ; `serve --sandbox` l'affiche).
    #[arg(long, env = "RELAY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Clé secrète du Stripe simulé, pour les étapes du renouvellement automatique
    /// (`serve --sandbox` l'affiche : « Clé secrète du Stripe simulé : sk_test_… »).
    #[arg(long, env = "STRIPE_SECRET_KEY", hide_env_values = true)]
    stripe_key: Option<String>,
    /// mensuel ou annuel (sinon demandé).
    #[arg(long)]
    plan: Option<String>,
    /// Issue du paiement (sinon demandée).
    #[arg(long, value_enum)]
    outcome: Option<PaymentOutcome>,
}

/// What happens on the sandbox's checkout page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PaymentOutcome {
    Paid,
    Declined,
    #[value(name = "3ds")]
    ThreeDs,
    #[value(name = "3ds-refused")]
    ThreeDsRefused,
    SepaOk,
    SepaKo,
    Duplicate,
    Late,
    Cancel,
}

impl PaymentOutcome {
    const ALL: [Self; 9] = [
        Self::Paid,
        Self::Declined,
        Self::ThreeDs,
        Self::ThreeDsRefused,
        Self::SepaOk,
        Self::SepaKo,
        Self::Duplicate,
        Self::Late,
        Self::Cancel,
    ];

    fn label(self) -> &'static str {
        match self {
            Self::Paid => "Carte 4242 4242 4242 4242 : paiement accepté",
            Self::Declined => "Carte 4000 0000 0000 0002 : carte refusée",
            Self::ThreeDs => "Carte 4000 0025 0000 3155 : 3-D Secure confirmé",
            Self::ThreeDsRefused => "Carte 4000 0025 0000 3155 : 3-D Secure refusé",
            Self::SepaOk => "Prélèvement SEPA qui aboutit",
            Self::SepaKo => "Prélèvement SEPA rejeté",
            Self::Duplicate => "Paiement accepté, webhook livré deux fois",
            Self::Late => "Paiement accepté, webhook livré avec 5 s de retard",
            Self::Cancel => "Le client annule sur la page de paiement",
        }
    }

    /// The checkout form as a browser posts it, with the test billing address the page shows
    /// (none for a cancellation).
    fn form(self) -> Vec<(&'static str, &'static str)> {
        let mut form = self.payment_fields();
        if !form.is_empty() {
            form.extend(stripe_sandbox::details::TEST_BILLING_FORM);
        }
        form
    }

    fn payment_fields(self) -> Vec<(&'static str, &'static str)> {
        let card = |n| {
            vec![
                ("method", "card"),
                ("card_number", n),
                ("expiry", "12/34"),
                ("cvc", "123"),
            ]
        };
        match self {
            Self::Paid | Self::Duplicate | Self::Late => card("4242424242424242"),
            Self::Declined => card("4000000000000002"),
            Self::ThreeDs | Self::ThreeDsRefused => card("4000002500003155"),
            Self::SepaOk => vec![("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
            Self::SepaKo => vec![("method", "sepa"), ("iban", stripe_sandbox::IBAN_FAILS)],
            Self::Cancel => vec![],
        }
    }

    /// Sandbox delivery options this outcome needs.
    fn delivery(self) -> Option<Value> {
        match self {
            Self::Duplicate => Some(json!({ "duplicates": 1 })),
            Self::Late => Some(json!({ "delay_ms": 5000 })),
            _ => None,
        }
    }

    fn is_sepa(self) -> bool {
        matches!(self, Self::SepaOk | Self::SepaKo)
    }

    /// Outcomes that pay nothing get a short wait: the point is to show that nothing changed.
    fn wait(self) -> Duration {
        match self {
            Self::Declined | Self::ThreeDsRefused | Self::Cancel => Duration::from_secs(3),
            _ => Duration::from_secs(15),
        }
    }
}

fn ask(question: &str) -> anyhow::Result<String> {
    print!("{question} ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

fn pick<T: Copy>(question: &str, choices: &[(T, &str)]) -> anyhow::Result<T> {
    for (i, (_, label)) in choices.iter().enumerate() {
        println!("  {}) {label}", i + 1);
    }
    let answer = ask(question)?;
    let index: usize = answer
        .parse()
        .ok()
        .filter(|i| (1..=choices.len()).contains(i))
        .context("choix invalide")?;
    Ok(choices[index - 1].0)
}

/// The relay as the walk-through talks to it, with the client's token.
struct Walk {
    http: reqwest::Client,
    relay: String,
    token: String,
    /// The simulated Stripe's secret key, for the steps that drive its test clock.
    stripe_key: Option<String>,
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let mut walk = Walk::connect(&args.relay, args.token).await?;
    walk.stripe_key = args.stripe_key;
    if let Some(step) = args.step {
        renewal::run(&walk, step, args.plan).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let before = walk.status(0, 0).await?;
    println!(
        "2. Abonnement actuel du client {} : {} (échéance {}).",
        before.client_id,
        before.status.as_str(),
        before.expires_at.as_deref().unwrap_or("aucune")
    );
    let plan = match args.plan {
        Some(p) => p,
        None => walk.choose_plan().await?,
    };
    let session = walk
        .create_checkout(&plan, json!({ "renewal": "once" }))
        .await?;
    println!(
        "3. Session de paiement créée : {}\n   {}",
        session.session_id, session.url
    );
    let labels: Vec<_> = PaymentOutcome::ALL
        .iter()
        .map(|o| (*o, o.label()))
        .collect();
    let outcome = match args.outcome {
        Some(o) => o,
        None => pick("Issue du paiement :", &labels)?,
    };
    walk.pay(&session, outcome).await?;
    let after = walk.wait_for_new_expiry(&before, outcome.wait()).await?;
    let changed = match after.expires_at == before.expires_at {
        true => "inchangé",
        false => "mis à jour",
    };
    println!(
        "7. Abonnement {changed} : statut {}, plan {}, échéance {}, {} jour(s) restant(s), version {}.",
        after.status.as_str(),
        after.plan.as_deref().unwrap_or("aucun"),
        after.expires_at.as_deref().unwrap_or("aucune"),
        after.days_remaining,
        after.version
    );
    Ok(ExitCode::SUCCESS)
}

impl Walk {
    /// Step 1: the relay answers, and in which Stripe mode.
    async fn connect(relay: &str, token: Option<String>) -> anyhow::Result<Self> {
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
    async fn status(&self, wait: u64, since: i64) -> anyhow::Result<SubscriptionStatus> {
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

    async fn choose_plan(&self) -> anyhow::Result<String> {
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
    async fn create_checkout(
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
    async fn pay(&self, session: &CheckoutResponse, outcome: PaymentOutcome) -> anyhow::Result<()> {
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
    async fn wait_for_new_expiry(
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
