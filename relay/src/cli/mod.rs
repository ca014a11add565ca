//! The command line: `serve`, `migrate`, `clients add|set|list|revoke`, `invoices export`, `doctor`,
//! `simulate`, `reconcile`, `refund`, `pa list|resend`, `admins add|list|remove|passwd|totp`.
//! Configuration problems end the process with one plain line naming the variable, exit code 2.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod admins;
mod clients;
mod doctor;
mod pa;
mod refund;
mod totp;
use clients::{ClientsAction, clients};
use doctor::doctor;

use crate::config::Settings;
use crate::serve::serve;
use crate::startup::{init_logging, open_database};

#[derive(Parser)]
#[command(
    name = "relay",
    about = "Relais d'abonnement ERP BTP : tarifs, paiement Stripe, webhooks, statut des abonnements."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Lance le serveur HTTP.
    Serve {
        /// Stripe simulé en local (aucun compte Stripe, aucun paiement réel).
        #[arg(long)]
        sandbox: bool,
    },
    /// Applique les migrations de la base de données puis s'arrête.
    Migrate,
    /// Gère les entreprises clientes et leurs jetons d'API.
    Clients {
        #[command(subcommand)]
        action: ClientsAction,
    },
    /// Vérifie la configuration, les clés Stripe et la base de données.
    Doctor,
    /// Déroule un renouvellement pas à pas contre un relais lancé avec `serve --sandbox`.
    Simulate(crate::simulate::SimulateArgs),
    /// Applique les événements Stripe (liste des événements, 30 jours) que les webhooks n'ont pas apportés.
    Reconcile {
        /// Période examinée, sur l'horloge du relais (ex. 72h, 7d).
        #[arg(long, default_value = "72h")]
        since: String,
    },
    /// Les factures émises par le relais.
    Invoices {
        #[command(subcommand)]
        action: InvoicesAction,
    },
    /// Rembourse le paiement d'une facture par Stripe ; l'avoir et l'accès suivent ses événements.
    Refund(refund::RefundArgs),
    /// La transmission des factures et avoirs à la plateforme agréée.
    Pa {
        #[command(subcommand)]
        action: pa::PaAction,
    },
    /// Gère les opérateurs de la console /admin.
    Admins {
        #[command(subcommand)]
        action: admins::AdminsAction,
    },
    /// Interroge /healthz du relais local (RELAY_ADDR) : code 0 si sain (sonde Docker).
    Healthcheck,
}

#[derive(Subcommand)]
enum InvoicesAction {
    /// Écrit les factures d'une année (PDF Factur-X et XML) et leur index CSV pour le comptable.
    Export {
        /// Année civile (heure de Paris) des factures, ex. 2026.
        #[arg(long)]
        year: i64,
        /// Dossier où les écrire (créé s'il n'existe pas).
        #[arg(long)]
        to: std::path::PathBuf,
    },
}

async fn reconcile(since: &str) -> anyhow::Result<ExitCode> {
    let Some(since) = crate::config::parse_duration(since).filter(|s| *s > 0) else {
        eprintln!("--since : « {since} » n'est pas une durée (ex. 72h, 7d, 30m)");
        return Ok(ExitCode::from(2));
    };
    let settings = match settings(false) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    if let Err(e) = settings.check_for_serving() {
        eprintln!("{e}");
        return Ok(ExitCode::from(2));
    }
    let stripe = settings
        .stripe
        .clone()
        .expect("Stripe settings are read without --sandbox");
    let db = open_database(&settings).await?;
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let origin = crate::startup::origin_of(stripe.mode);
    let state = crate::state::AppState::build(settings, stripe, origin, db, stopped).await?;
    let report = match crate::reconcile::run(&state, since).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("erreur : réconciliation impossible ({})", e.parts().2);
            return Ok(ExitCode::from(1));
        }
    };
    for line in &report.lines {
        println!("{line}");
    }
    println!("{}", report.summary());
    Ok(ExitCode::SUCCESS)
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("erreur : {e:#}");
            ExitCode::from(1)
        }
    }
}

fn settings(sandbox: bool) -> Result<Settings, ExitCode> {
    Settings::from_env(sandbox).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

async fn run(command: Command) -> anyhow::Result<ExitCode> {
    // Commands that only touch the database do not need Stripe's variables.
    let offline = |s: bool| settings(s);
    match command {
        Command::Serve { sandbox } => {
            let settings = match settings(sandbox) {
                Ok(s) => s,
                Err(code) => return Ok(code),
            };
            // (`--sandbox` never serves production: `Application` refuses it there.)
            if let (false, Err(e)) = (sandbox, settings.check_for_serving()) {
                eprintln!("{e}");
                return Ok(ExitCode::from(2));
            }
            let _flush_logs_at_exit = init_logging(settings.log_json);
            serve(settings, sandbox).await?;
        }
        Command::Migrate => {
            let Ok(settings) = offline(true) else {
                return Ok(ExitCode::from(2));
            };
            let db = open_database(&settings).await?;
            crate::startup::report_unexplained_access(&db).await;
            println!("Migrations appliquées.");
        }
        Command::Clients { action } => {
            let Ok(settings) = offline(true) else {
                return Ok(ExitCode::from(2));
            };
            let db = open_database(&settings).await?;
            return clients(&db, action).await;
        }
        Command::Invoices {
            action: InvoicesAction::Export { year, to },
        } => {
            let Ok(settings) = offline(true) else {
                return Ok(ExitCode::from(2));
            };
            return export_invoices(&settings, year, &to).await;
        }
        Command::Pa { action } => {
            let Ok(settings) = offline(true) else {
                return Ok(ExitCode::from(2));
            };
            let db = open_database(&settings).await?;
            return pa::pa(&db, action).await;
        }
        Command::Admins { action } => {
            let Ok(settings) = offline(true) else {
                return Ok(ExitCode::from(2));
            };
            let db = open_database(&settings).await?;
            let keys = crate::keys::Keys::load(settings.signing_key.as_ref(), &db)
                .await
                .map_err(anyhow::Error::msg)?;
            return admins::admins(&db, &keys, action).await;
        }
        Command::Doctor => return Ok(doctor().await),
        Command::Reconcile { since } => return reconcile(&since).await,
        Command::Simulate(args) => return crate::simulate::run(args).await,
        Command::Refund(args) => return refund::refund(args).await,
        Command::Healthcheck => return Ok(healthcheck().await),
    }
    Ok(ExitCode::SUCCESS)
}

async fn export_invoices(
    settings: &Settings,
    year: i64,
    to: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let seller = match &settings.seller {
        Ok(s) => s,
        Err(problems) => {
            eprintln!(
                "Vendeur des factures incomplet : {}",
                problems.0.join(" ; ")
            );
            return Ok(ExitCode::from(2));
        }
    };
    let db = open_database(settings).await?;
    let plans = std::sync::Arc::new(
        crate::plans::Catalogue::load(settings.plans_file.as_deref())
            .map_err(anyhow::Error::msg)?,
    );
    let renderer = crate::factures::render::Renderer {
        db: &db,
        seller,
        plans: &plans,
        metrics: &crate::metrics::Metrics::default(),
    };
    std::fs::create_dir_all(to)?;
    let report = crate::factures::export::export(
        &renderer,
        crate::factures::export::Period { year, month: None },
        &mut crate::factures::export::Folder(to),
        crate::clock::Clock::default().timestamp(),
    )
    .await?;
    println!(
        "{} facture(s) de {year} écrite(s) dans {} (PDF Factur-X, XML et index factures-{year}.csv).",
        report.written,
        to.display()
    );
    if report.failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for (number, reason) in &report.failed {
        eprintln!("Facture {number} non exportée : {reason}");
    }
    eprintln!(
        "{} facture(s) non exportée(s) : elles figurent dans l'index avec la raison.",
        report.failed.len()
    );
    Ok(ExitCode::from(1))
}

/// For container health checks: asks the relay listening on `RELAY_ADDR` for `/healthz`.
async fn healthcheck() -> ExitCode {
    let addr = std::env::var("RELAY_ADDR").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let addr = addr
        .replace("0.0.0.0", "127.0.0.1")
        .replace("[::]", "[::1]");
    let answer = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(std::time::Duration::from_secs(4))
        .send()
        .await;
    match answer {
        Ok(r) if r.status().is_success() => ExitCode::SUCCESS,
        Ok(r) => {
            eprintln!("relais en mauvaise santé : HTTP {}", r.status());
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("relais injoignable sur {addr} : {e}");
            ExitCode::from(1)
        }
    }
}
