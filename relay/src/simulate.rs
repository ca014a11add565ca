//! `relay simulate`: the original specification's interactive test, kept as a terminal walk-through
//! of one renewal against a relay started with `serve --sandbox`. Each step is printed; the
//! payment is made through the sandbox's hosted checkout form, exactly as a browser would.

use std::io::{BufRead, Write};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::Args;
use erp_btp_protocol::{CheckoutResponse, PlansResponse, SubscriptionStatus};
use serde_json::json;

#[derive(Args)]
pub struct SimulateArgs {
    /// Adresse du relais (lancé avec `relay serve --sandbox`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    relay: String,
    /// Jeton d'API du client (sinon demandé ; `serve --sandbox` l'affiche).
    #[arg(long, env = "RELAY_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// mensuel ou annuel (sinon demandé).
    #[arg(long)]
    plan: Option<String>,
    /// paid, declined, 3ds, 3ds-refused, sepa-ok, sepa-ko, duplicate, late, cancel (sinon demandé).
    #[arg(long)]
    outcome: Option<String>,
}

const OUTCOMES: [(&str, &str); 9] = [
    ("paid", "Carte 4242 4242 4242 4242 : paiement accepté"),
    ("declined", "Carte 4000 0000 0000 0002 : carte refusée"),
    ("3ds", "Carte 4000 0025 0000 3155 : 3-D Secure confirmé"),
    (
        "3ds-refused",
        "Carte 4000 0025 0000 3155 : 3-D Secure refusé",
    ),
    ("sepa-ok", "Prélèvement SEPA qui aboutit"),
    ("sepa-ko", "Prélèvement SEPA rejeté"),
    ("duplicate", "Paiement accepté, webhook livré deux fois"),
    ("late", "Paiement accepté, webhook livré avec 5 s de retard"),
    ("cancel", "Le client annule sur la page de paiement"),
];

fn ask(question: &str) -> anyhow::Result<String> {
    print!("{question} ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}

fn pick(question: &str, choices: &[(&str, &str)]) -> anyhow::Result<String> {
    for (i, (_, label)) in choices.iter().enumerate() {
        println!("  {}) {label}", i + 1);
    }
    let answer = ask(question)?;
    let index: usize = answer
        .parse()
        .ok()
        .filter(|i| (1..=choices.len()).contains(i))
        .context("choix invalide")?;
    Ok(choices[index - 1].0.to_owned())
}

pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let relay = args.relay.trim_end_matches('/').to_owned();
    let config: serde_json::Value = http
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
    let token = match args.token {
        Some(t) => t,
        None => ask("Jeton d'API du client :")?,
    };
    let status = |wait: u64, since: i64| {
        let (http, relay, token) = (http.clone(), relay.clone(), token.clone());
        async move {
            let resp = http
                .get(format!(
                    "{relay}/api/subscription?wait={wait}&since={since}"
                ))
                .bearer_auth(&token)
                .send()
                .await?;
            if !resp.status().is_success() {
                bail!("le relais refuse le jeton ({})", resp.status());
            }
            Ok::<SubscriptionStatus, anyhow::Error>(resp.json().await?)
        }
    };
    let before = status(0, 0).await?;
    println!(
        "2. Abonnement actuel du client {} : {} (échéance {}).",
        before.client_id,
        before.status.as_str(),
        before.expires_at.as_deref().unwrap_or("aucune")
    );
    let plans: PlansResponse = http
        .get(format!("{relay}/api/stripe/plans"))
        .send()
        .await?
        .json()
        .await?;
    let plan = match args.plan {
        Some(p) => p,
        None => {
            let choices: Vec<(&str, &str)> = plans
                .plans
                .iter()
                .map(|p| (p.id.as_str(), p.name.as_str()))
                .collect();
            pick("Plan :", &choices)?
        }
    };
    let resp = http
        .post(format!("{relay}/api/stripe/create-checkout-session"))
        .bearer_auth(&token)
        .json(&json!({ "plan": plan }))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("création de la session refusée : {}", resp.text().await?);
    }
    let session: CheckoutResponse = resp.json().await?;
    println!(
        "3. Session de paiement créée : {}\n   {}",
        session.session_id, session.url
    );
    let outcome = match args.outcome {
        Some(o) => o,
        None => pick("Issue du paiement :", &OUTCOMES)?,
    };
    let sandbox = session
        .url
        .split("/c/pay/")
        .next()
        .context("l'URL de paiement n'est pas celle du sandbox")?
        .to_owned();
    let options = |body: serde_json::Value| {
        http.post(format!("{sandbox}/_sandbox/options"))
            .json(&body)
            .send()
    };
    match outcome.as_str() {
        "duplicate" => drop(options(json!({ "duplicates": 1 })).await?),
        "late" => drop(options(json!({ "delay_ms": 5000 })).await?),
        _ => {}
    }
    let card = |n: &'static str| {
        vec![
            ("method", "card"),
            ("card_number", n),
            ("expiry", "12/34"),
            ("cvc", "123"),
        ]
    };
    let form = match outcome.as_str() {
        "paid" | "duplicate" | "late" => card("4242424242424242"),
        "declined" => card("4000000000000002"),
        "3ds" | "3ds-refused" => card("4000002500003155"),
        "sepa-ok" => vec![("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
        "sepa-ko" => vec![("method", "sepa"), ("iban", stripe_sandbox::IBAN_FAILS)],
        "cancel" => vec![],
        other => bail!("issue inconnue : {other}"),
    };
    let mut answer = if outcome == "cancel" {
        http.get(format!("{}/cancel", session.url)).send().await?
    } else {
        http.post(&session.url).form(&form).send().await?
    };
    if outcome.starts_with("3ds") {
        println!("4. La banque demande une confirmation 3-D Secure.");
        let action = if outcome == "3ds" {
            "confirm"
        } else {
            "refuse"
        };
        answer = http
            .post(format!("{}/3ds", session.url))
            .form(&[("action", action)])
            .send()
            .await?;
    }
    let redirect = answer
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned);
    match redirect {
        Some(to) => println!("4. Page de paiement terminée, redirection vers {to}"),
        None => println!(
            "4. Page de paiement : paiement non effectué (HTTP {}).",
            answer.status()
        ),
    }
    if outcome.starts_with("sepa") {
        let settled: serde_json::Value = http
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
    // Outcomes that pay nothing get a short wait: the point is to show that nothing changed.
    let wait = if ["declined", "3ds-refused", "cancel"].contains(&outcome.as_str()) {
        3
    } else {
        15
    };
    println!("6. Attente de la mise à jour de l'abonnement (long poll, {wait} s au plus)…");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(wait);
    let mut after = before.clone();
    // A delayed payment changes the version twice (pending, then paid): wait for the expiry.
    while after.expires_at == before.expires_at {
        let left = deadline
            .saturating_duration_since(std::time::Instant::now())
            .as_secs();
        if left == 0 {
            break;
        }
        let next = status(left, after.version).await?;
        if next.version != after.version && next.expires_at == before.expires_at {
            println!(
                "   … statut {} (version {})",
                next.status.as_str(),
                next.version
            );
        }
        after = next;
    }
    let changed = if after.expires_at == before.expires_at {
        "inchangé"
    } else {
        "mis à jour"
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
