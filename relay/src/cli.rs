//! The command line: `serve`, `migrate`, `clients add|set|list|revoke`, `invoices export`, `doctor`,
//! `simulate`, `reconcile`.
//! Configuration problems end the process with one plain line naming the variable, exit code 2.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{Settings, mode_name};
use crate::db::Db;
use crate::domain::ClientId;
use crate::serve::serve;
use crate::siren::Siren;
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

#[derive(Subcommand)]
enum ClientsAction {
    /// Enregistre une entreprise ; affiche son nouveau jeton sur la dernière ligne.
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// SIREN de l'entreprise (9 chiffres), pour ses factures.
        #[arg(long)]
        siren: Option<String>,
    },
    /// Complète la fiche d'une entreprise déjà enregistrée.
    Set {
        #[arg(long)]
        id: String,
        /// SIREN de l'entreprise (9 chiffres).
        #[arg(long)]
        siren: String,
    },
    /// Liste les entreprises (jamais les jetons).
    List,
    /// Révoque le jeton d'une entreprise, effet immédiat.
    Revoke {
        #[arg(long)]
        id: String,
    },
}

async fn reconcile(since: &str) -> anyhow::Result<ExitCode> {
    let Some(since) = crate::renewal::parse_duration(since).filter(|s| *s > 0) else {
        eprintln!("--since : « {since} » n'est pas une durée (ex. 72h, 7d, 30m)");
        return Ok(ExitCode::from(2));
    };
    let settings = match settings(false) {
        Ok(s) => s,
        Err(code) => return Ok(code),
    };
    let stripe = settings
        .stripe
        .clone()
        .expect("Stripe settings are read without --sandbox");
    let db = open_database(&settings).await?;
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    let origin = crate::startup::origin_of(stripe.mode);
    let state = crate::AppState::build(settings, stripe, origin, db, stopped).await?;
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
            open_database(&settings).await?;
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
        Command::Doctor => return Ok(doctor().await),
        Command::Reconcile { since } => return reconcile(&since).await,
        Command::Simulate(args) => return crate::simulate::run(args).await,
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
    let count =
        crate::factures::export::export(&renderer, year, to, crate::clock::system_now()).await?;
    println!(
        "{count} facture(s) de {year} écrite(s) dans {} (PDF Factur-X, XML et index factures-{year}.csv).",
        to.display()
    );
    Ok(ExitCode::SUCCESS)
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

fn client_id(text: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(text).ok_or_else(|| {
        anyhow::anyhow!(
            "--id « {text} » invalide : 1 à 64 caractères parmi lettres, chiffres, - et _"
        )
    })
}

async fn clients(db: &Db, action: ClientsAction) -> anyhow::Result<ExitCode> {
    match action {
        ClientsAction::Add { id, name, siren } => {
            let id = client_id(&id)?;
            let name = name.trim();
            anyhow::ensure!(
                !name.is_empty() && name.len() <= 200,
                "--name doit contenir 1 à 200 caractères"
            );
            // Checked before anything is stored.
            let siren = siren
                .as_deref()
                .map(Siren::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let token = db.add_client(&id, name).await?;
            if let Some(siren) = &siren {
                db.set_siren(&id, siren).await?;
            }
            println!("Client {id} ({name}) enregistré. Son jeton d'API, affiché une seule fois :");
            println!("{token}");
        }
        ClientsAction::List => {
            let list = db.list_clients().await?;
            if list.is_empty() {
                println!("Aucun client enregistré.");
            }
            for c in list {
                let created = crate::routes::subscription::rfc3339(c.created_at);
                let state = match c.revoked_at {
                    Some(t) => format!("révoqué le {}", crate::routes::subscription::rfc3339(t)),
                    None => "actif".into(),
                };
                let siren = c
                    .siren
                    .as_deref()
                    .map(|s| format!("SIREN {s}"))
                    .unwrap_or_else(|| "SIREN —".into());
                println!("{}\t{}\t{siren}\tcréé le {created}\t{state}", c.id, c.name);
            }
        }
        ClientsAction::Set { id, siren } => {
            let id = client_id(&id)?;
            let siren = Siren::parse(&siren).map_err(anyhow::Error::msg)?;
            db.set_siren(&id, &siren).await?;
            println!("SIREN {siren} enregistré pour le client {id}.");
        }
        ClientsAction::Revoke { id } => {
            let id = client_id(&id)?;
            db.revoke_client(&id).await?;
            println!("Jeton du client {id} révoqué.");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints a ✔/✘ checklist with the fix for each ✘; exit code 1 if anything is wrong.
async fn doctor() -> ExitCode {
    let mut ok = true;
    let mut check = |good: bool, what: &str, fix: &str| {
        if good {
            println!("✔ {what}");
        } else {
            ok = false;
            println!("✘ {what}\n    → {fix}");
        }
    };
    let settings = match Settings::from_env(false) {
        Ok(s) => {
            check(true, "Variables d'environnement lues et valides", "");
            s
        }
        Err(e) => {
            check(
                false,
                &e.to_string(),
                &format!(
                    "corrigez {} (voir le tableau de configuration du README) ; `relay serve --sandbox` fonctionne sans clés Stripe",
                    e.var
                ),
            );
            return ExitCode::from(1);
        }
    };
    for w in &settings.warnings {
        println!("! {w}");
    }
    let stripe = settings.stripe.as_ref().expect("checked above");
    check(
        true,
        &format!("Clés Stripe cohérentes, mode {}", mode_name(stripe.mode)),
        "",
    );
    check(
        stripe.webhook_secrets.len() == 1,
        &format!(
            "{} secret(s) de webhook configuré(s)",
            stripe.webhook_secrets.len()
        ),
        "plusieurs secrets ne servent que pendant un renouvellement de secret : retirez l'ancien une fois Stripe passé au nouveau",
    );
    check(
        settings.app_url.scheme() == "https" || settings.env != crate::config::AppEnv::Production,
        &format!("APP_URL = {}", settings.app_url),
        "en production, APP_URL doit être l'adresse https publique du relais",
    );
    match crate::plans::Catalogue::load(settings.plans_file.as_deref()) {
        Ok(c) => check(true, &format!("{} plan(s) chargé(s)", c.all().len()), ""),
        Err(e) => check(
            false,
            &e,
            "corrigez le fichier de plans ou retirez RELAY_PLANS_FILE",
        ),
    }
    match Db::connect(settings.database_url.expose()).await {
        Ok(db) => {
            check(
                db.ping().await.is_ok(),
                "Base de données joignable",
                "vérifiez DATABASE_URL et que le serveur PostgreSQL tourne",
            );
            match db.pending_migrations().await {
                Ok(p) if p.is_empty() => check(true, "Migrations à jour", ""),
                Ok(p) => check(
                    false,
                    &format!("{} migration(s) en attente", p.len()),
                    "lancez `relay migrate`",
                ),
                Err(e) => check(
                    false,
                    &format!("Migrations illisibles : {e}"),
                    "lancez `relay migrate`",
                ),
            }
        }
        Err(e) => check(
            false,
            &format!("Base de données injoignable : {e}"),
            "vérifiez DATABASE_URL (sqlite://fichier.db ou postgres://utilisateur@hôte/base)",
        ),
    }
    check(
        settings.signing_key.is_some() || settings.env != crate::config::AppEnv::Production,
        "Clé de signature des droits (ENTITLEMENT_SIGNING_KEY)",
        "en production, fixez ENTITLEMENT_SIGNING_KEY (32 octets base64url) ou ENTITLEMENT_SIGNING_KEY_FILE (fichier en mode 600) : le relais refuse de démarrer sans, plutôt que de garder une clé en clair dans la base",
    );
    seller_check(&settings, &mut check);
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The factures' seller: complete, or what is missing (in development, what the demonstration
/// seller stands in for).
fn seller_check(settings: &Settings, check: &mut impl FnMut(bool, &str, &str)) {
    let fix = "renseignez les variables SELLER_* (tableau « Vendeur » du README) : en production, le relais refuse de démarrer sans";
    match &settings.seller {
        Err(problems) => check(
            false,
            &format!(
                "Vendeur des factures incomplet : {}",
                problems.0.join(" ; ")
            ),
            fix,
        ),
        Ok(seller) => {
            let from_env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
            if let Err(missing) = crate::factures::Seller::from_lookup(&from_env, false) {
                println!(
                    "! Vendeur de démonstration sur les factures (développement) : {}",
                    missing.0.join(" ; ")
                );
            }
            check(
                true,
                &format!(
                    "Vendeur des factures : {} (SIREN {})",
                    seller.name,
                    seller.siren.spaced()
                ),
                fix,
            );
        }
    }
}
