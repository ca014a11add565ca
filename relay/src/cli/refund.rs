//! `relay refund --invoice FA-2026-000123 [--amount 10,00] [--reason "…"] [--cancel-renewal]`:
//! refunds a facture's payment through Stripe's Refunds API (`money_back::ask`, as the console's
//! « Rembourser ») and says in French what Stripe answered. The avoir and the access change
//! follow from the refund's events, exactly as for a refund made in Stripe's Dashboard.

use std::process::ExitCode;

use crate::billing::BillingApi;
use crate::core::numbering::{Series, parse_number};
use crate::core::refund::parse_euros;
use crate::money_back::ask::{NotAsked, ask};
use crate::startup::open_database;

#[derive(clap::Args)]
pub struct RefundArgs {
    /// Numéro de la facture à rembourser, ex. FA-2026-000123.
    #[arg(long)]
    invoice: String,
    /// Montant en euros (ex. 10,00) ; tout ce qui reste à rembourser si absent.
    #[arg(long)]
    amount: Option<String>,
    /// Motif, repris sur l'avoir.
    #[arg(long)]
    reason: Option<String>,
    /// Arrête aussi le renouvellement automatique à la fin de la période en cours.
    #[arg(long)]
    cancel_renewal: bool,
}

pub async fn refund(args: RefundArgs) -> anyhow::Result<ExitCode> {
    let number = args.invoice.trim().to_owned();
    if parse_number(Series::Facture, &number).is_none() {
        eprintln!("--invoice : « {number} » n'est pas un numéro de facture (ex. FA-2026-000123)");
        return Ok(ExitCode::from(2));
    }
    let asked = match args.amount.as_deref().map(|a| (a, parse_euros(a))) {
        None => None,
        Some((_, Some(cents))) if cents > 0 => Some(cents),
        Some((typed, _)) => {
            eprintln!("--amount : « {typed} » n'est pas un montant en euros (ex. 10,00)");
            return Ok(ExitCode::from(2));
        }
    };
    let settings = match crate::config::Settings::from_env(false) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(2));
        }
    };
    let stripe = settings.stripe.clone().expect("read without --sandbox");
    let db = open_database(&settings).await?;
    let billing = BillingApi::new(&stripe)?;
    let asked = match ask(&db, &billing, &number, asked, args.reason.as_deref()).await {
        Ok(asked) => asked,
        Err(NotAsked::Db(e)) => return Err(e.into()),
        Err(e) => {
            eprintln!("{e}");
            return Ok(ExitCode::from(1));
        }
    };
    println!("{}", asked.said(&number));
    let target = asked.target;
    if args.cancel_renewal {
        match target.subscription_id.as_deref() {
            None => println!("Aucun renouvellement automatique à arrêter."),
            Some(sub) => match billing.cancel_at_period_end(sub).await {
                Ok(()) => println!(
                    "Renouvellement automatique arrêté : l'abonnement prendra fin à la fin de la période en cours."
                ),
                Err(e) => {
                    eprintln!(
                        "Le renouvellement n'a pas pu être arrêté ({e}) : arrêtez-le depuis le Dashboard Stripe."
                    );
                    return Ok(ExitCode::from(1));
                }
            },
        }
    }
    Ok(ExitCode::SUCCESS)
}
