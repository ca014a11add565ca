//! `relay simulate`: the original specification's interactive test, kept as a terminal walk-through
//! of one renewal against a relay started with `serve --sandbox`. Each step is printed; the
//! payment is made through the sandbox's hosted checkout form, exactly as a browser would.
//! Automatic renewal has its own steps (`subscribe`, `year`…, see `renewal`).

mod renewal;
mod walk;

use walk::Walk;

use std::io::{BufRead, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
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
    Disputed,
}

impl PaymentOutcome {
    const ALL: [Self; 10] = [
        Self::Paid,
        Self::Declined,
        Self::ThreeDs,
        Self::ThreeDsRefused,
        Self::SepaOk,
        Self::SepaKo,
        Self::Duplicate,
        Self::Late,
        Self::Cancel,
        Self::Disputed,
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
            Self::Disputed => {
                "Carte 4000 0000 0000 0259 : paiement accepté, puis contesté à la banque"
            }
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
            Self::Disputed => card(stripe_sandbox::disputes::CARD_DISPUTED),
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
