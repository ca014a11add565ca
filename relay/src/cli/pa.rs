//! `relay pa list [--problems]` and `relay pa resend NUMBER`: the documents' transmission to the
//! approved platform, for the operator. What each problem asks of the seller:
//! - 213 Rejetée (a platform's check failed): the facture counts as never issued and reached no
//!   buyer; its number stays in the series (never deleted, never reused: a number names one
//!   document, CGI art. 242 nonies A, and a platform refuses a number seen before as `DOUBLON`).
//!   Correct the cause (the company's SIREN with `relay clients set --siren`, the seller's
//!   settings) and resend: a new facture, with the next number, bills the same payment and is
//!   transmitted (`crate::db::replacements`).
//! - 210 Refusée (the buyer refused it): the facture stands as issued and paid; settle it with
//!   the buyer, then refund (`relay refund`), which issues the avoir that corrects it.
//! - An `Error` acknowledgement or a 4xx (the flow itself was refused): fix the cause, resend.

use std::process::ExitCode;

use clap::Subcommand;

use crate::core::numbering::{Series, number, parse_number};
use crate::db::Db;
use crate::db::replacements::Resent;
use crate::db::transmissions::{Message, Transmission};

#[derive(Subcommand)]
pub enum PaAction {
    /// Liste les documents transmis à la plateforme agréée et leur statut.
    List {
        /// Seulement les documents rejetés, refusés ou en erreur.
        #[arg(long)]
        problems: bool,
    },
    /// Transmet de nouveau un document (après correction de la cause d'un rejet ou d'une erreur).
    Resend {
        /// Numéro du document, ex. FA-2026-000012.
        number: String,
    },
}

fn line(t: &Transmission) -> String {
    let (year, seq) = t.key.year_seq();
    let doc = number(t.key.series, year, seq);
    let what = match t.key.message {
        Message::Document => doc,
        Message::Payment => format!("{doc} (statut 212 Encaissée)"),
    };
    let standing = crate::pa::described(t);
    let todo = crate::pa::next_step(t)
        .map(|step| format!(" {step}"))
        .unwrap_or_default();
    format!("{what}\t{}\t{standing}{todo}", t.client)
}

pub async fn pa(db: &Db, action: PaAction) -> anyhow::Result<ExitCode> {
    match action {
        PaAction::List { problems } => {
            let all = db.pa_list(None).await?;
            let shown: Vec<&Transmission> = all
                .iter()
                .filter(|t| !problems || crate::pa::is_problem(t))
                .collect();
            if shown.is_empty() {
                println!(
                    "{}",
                    match problems {
                        true => "Aucun document rejeté, refusé ou en erreur.",
                        false => "Aucun document transmis à la plateforme agréée.",
                    }
                );
            }
            for t in shown {
                println!("{}", line(t));
            }
            Ok(ExitCode::SUCCESS)
        }
        PaAction::Resend { number: text } => {
            let found = [Series::Facture, Series::Avoir]
                .into_iter()
                .find_map(|s| parse_number(s, text.trim()).map(|k| (s, k)));
            let Some((series, (year, seq))) = found else {
                eprintln!(
                    "« {text} » n'est pas un numéro de facture (FA-AAAA-NNNNNN) ou d'avoir (AV-…)"
                );
                return Ok(ExitCode::from(2));
            };
            let now = crate::clock::Clock::default().timestamp();
            match db.pa_resend(series, year * 1_000_000 + seq, now).await? {
                Resent::Unknown => {
                    eprintln!("{text} n'a jamais été transmis : rien à renvoyer.");
                    Ok(ExitCode::from(1))
                }
                Resent::Queued => {
                    println!("{text} sera transmis de nouveau par le relais en service.");
                    Ok(ExitCode::SUCCESS)
                }
                Resent::Replaced(key) => {
                    let new = number(Series::Facture, key / 1_000_000, key % 1_000_000);
                    println!(
                        "{text}, rejetée, est réputée non émise : son numéro reste dans la série. La facture {new} la remplace (même paiement, entreprise telle qu'elle est maintenant) ; le relais en service la transmet."
                    );
                    println!("{new}");
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}
