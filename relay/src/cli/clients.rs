//! `relay clients add|set|list|revoke`: the client companies and their API tokens (a token is
//! printed once, when it is made, and never listed).

use std::process::ExitCode;

use clap::Subcommand;

use crate::db::Db;
use crate::domain::ClientId;
use crate::siren::Siren;

#[derive(Subcommand)]
pub(super) enum ClientsAction {
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

fn client_id(text: &str) -> anyhow::Result<ClientId> {
    ClientId::parse(text).ok_or_else(|| {
        anyhow::anyhow!(
            "--id « {text} » invalide : 1 à 64 caractères parmi lettres, chiffres, - et _"
        )
    })
}

pub(super) async fn clients(db: &Db, action: ClientsAction) -> anyhow::Result<ExitCode> {
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
                    .unwrap_or_else(|| "SIREN manquant (aucun paiement possible)".into());
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
