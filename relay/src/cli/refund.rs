//! `relay refund --invoice FA-2026-000123 [--amount 10,00] [--reason "…"] [--cancel-renewal]`:
//! refunds a facture's payment through Stripe's Refunds API and says in French what Stripe
//! answered. The avoir and the access change follow from the refund's events, exactly as for a
//! refund made in Stripe's Dashboard: one path for both. A refund larger than what is left is
//! refused before Stripe is called; the idempotency key makes the same command, run again after
//! a timeout, the same refund.

use std::process::ExitCode;

use crate::billing::BillingApi;
use crate::core::numbering::{Series, parse_number};
use crate::core::refund::{euros, idempotency_key, parse_euros, refundable};
use crate::core::reversal::RefundStatus;
use crate::startup::open_database;
use crate::stripe::StripeFailure;

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

fn status_fr(status: RefundStatus) -> &'static str {
    match status {
        RefundStatus::Pending => "en cours",
        RefundStatus::RequiresAction => "action requise",
        RefundStatus::Succeeded => "réussi",
        RefundStatus::Failed => "échoué",
        RefundStatus::Canceled => "annulé",
    }
}

pub async fn refund(args: RefundArgs) -> anyhow::Result<ExitCode> {
    let number = args.invoice.trim().to_owned();
    let Some(key) = parse_number(Series::Facture, &number) else {
        eprintln!("--invoice : « {number} » n'est pas un numéro de facture (ex. FA-2026-000123)");
        return Ok(ExitCode::from(2));
    };
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
    let Some(target) = db.refund_target(key.0 * 1_000_000 + key.1).await? else {
        eprintln!("Facture {number} introuvable.");
        return Ok(ExitCode::from(1));
    };
    let Some(intent) = target.payment_intent.as_deref() else {
        eprintln!(
            "Le paiement de la facture {number} n'est pas connu du relais : remboursez-le depuis le Dashboard Stripe, l'avoir suivra."
        );
        return Ok(ExitCode::from(1));
    };
    let amount = match refundable(target.total_cents, target.refunded, asked) {
        Ok(amount) => amount,
        Err(refused) => {
            eprintln!("Remboursement refusé, Stripe n'a pas été appelé : {refused}.");
            return Ok(ExitCode::from(1));
        }
    };
    let billing = BillingApi::new(&stripe)?;
    let key = idempotency_key(&number, amount, target.refunded);
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match billing
        .create_refund(intent, amount, &number, reason, &key)
        .await
    {
        Ok(r) => println!(
            "Stripe a accepté le remboursement {} de {} sur la facture {number} (statut : {}). L'avoir et l'accès de l'entreprise {} suivront ses événements.",
            r.id,
            euros(r.amount),
            status_fr(r.status),
            target.client
        ),
        Err(StripeFailure::Refused { message, .. }) => {
            eprintln!("Stripe a refusé le remboursement : {message}");
            return Ok(ExitCode::from(1));
        }
        Err(e) => {
            eprintln!(
                "Stripe n'a pas répondu ({e}) : relancez la même commande, elle ne remboursera pas deux fois."
            );
            return Ok(ExitCode::from(1));
        }
    }
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
