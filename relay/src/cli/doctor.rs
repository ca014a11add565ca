//! `relay doctor`: a checklist of the configuration, the Stripe keys, the database and the
//! factures' seller, each ✘ with the fix an operator should make.

use std::process::ExitCode;

use crate::config::{AppEnv, Settings, mode_name};
use crate::db::Db;

/// Prints a ✔/✘ checklist with the fix for each ✘; exit code 1 if anything is wrong.
pub(super) async fn doctor() -> ExitCode {
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
                    "corrigez {} (voir le tableau de configuration du README) ; `relay serve --sandbox` fonctionne sans clés Stripe (il tire et affiche la clé secrète de son Stripe simulé)",
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
    if let Some(key) = &settings.sandbox_key {
        // Masked even here: the operator knows the key, doctor only says which one counts.
        println!(
            "ℹ Avec `relay serve --sandbox`, le Stripe simulé n'accepte que STRIPE_SECRET_KEY (sk_test_…{})",
            stripe_sandbox::last_chars(key.expose(), 4)
        );
    }
    check(
        stripe.webhook_secrets.len() == 1,
        &format!(
            "{} secret(s) de webhook configuré(s)",
            stripe.webhook_secrets.len()
        ),
        "plusieurs secrets ne servent que pendant un renouvellement de secret : retirez l'ancien une fois Stripe passé au nouveau",
    );
    check(
        settings.app_url.scheme() == "https" || settings.env != AppEnv::Production,
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
            if let Ok(clients) = db.list_clients().await {
                without_siren(&clients);
            }
            if let (true, Ok(operators)) = (settings.console, db.operators().await) {
                without_second_factor(&operators);
            }
        }
        Err(e) => check(
            false,
            &format!("Base de données injoignable : {e}"),
            "vérifiez DATABASE_URL (sqlite://fichier.db ou postgres://utilisateur@hôte/base)",
        ),
    }
    check(
        settings.signing_key.is_some() || settings.env != AppEnv::Production,
        "Clé de signature des droits (ENTITLEMENT_SIGNING_KEY)",
        "en production, fixez ENTITLEMENT_SIGNING_KEY (32 octets base64url) ou ENTITLEMENT_SIGNING_KEY_FILE (fichier en mode 600) : le relais refuse de démarrer sans, plutôt que de garder une clé en clair dans la base",
    );
    seller_check(&settings, &mut check);
    platform_check(&settings, &mut check).await;
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Warns about active companies with no SIREN on file: they cannot pay until one is given.
fn without_siren(clients: &[crate::db::clients::ClientRecord]) {
    let missing = clients
        .iter()
        .filter(|c| c.siren.is_none() && c.revoked_at.is_none())
        .map(|c| c.id.to_string());
    warn_listed(
        missing,
        "entreprise(s) sans SIREN, qui ne peuvent pas payer tant qu'elles ne l'ont pas donné (page de renouvellement, application)",
        "ou enregistrez-le : relay clients set --id ID --siren NUMÉRO",
    );
}

/// Warns about `admin` operators who sign in with a password alone: they can refund and revoke.
fn without_second_factor(operators: &[crate::db::operators::Operator]) {
    let missing = operators
        .iter()
        .filter(|o| o.role.acts() && o.totp_sealed.is_none())
        .map(|o| o.email.clone());
    warn_listed(
        missing,
        "opérateur(s) admin de la console sans double authentification",
        "conseillé : relay admins totp --email ADRESSE",
    );
}

/// « ! N `what` : a, b », then what to do; nothing when `names` is empty.
fn warn_listed(names: impl Iterator<Item = String>, what: &str, then: &str) {
    let names: Vec<String> = names.collect();
    if !names.is_empty() {
        println!(
            "! {} {what} : {}\n    → {then}",
            names.len(),
            names.join(", ")
        );
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

/// The approved platform (`PA_MODE=on`): a token from its credentials, then the health check of
/// its Flow and Directory services.
async fn platform_check(settings: &Settings, check: &mut impl FnMut(bool, &str, &str)) {
    let Some(api) = settings.pa.api.clone() else {
        println!(
            "ℹ PA_MODE=off : les factures ne sont pas transmises à une plateforme agréée (obligatoire à partir du 1er septembre 2027)"
        );
        return;
    };
    let client = crate::pa::client::PaClient::new(api.clone());
    for (flow, name, url) in [
        (true, "Flow", &api.flow),
        (false, "Annuaire", &api.directory),
    ] {
        match client.healthy(flow).await {
            Ok(()) => check(
                true,
                &format!("Plateforme agréée : jeton obtenu, service {name} joignable ({url})"),
                "",
            ),
            Err(e) => check(
                false,
                &format!("Plateforme agréée, service {name} ({url}) : {e}"),
                "vérifiez PA_TOKEN_URL, PA_CLIENT_ID, PA_CLIENT_SECRET, PA_FLOW_API et PA_DIRECTORY_API avec votre plateforme",
            ),
        }
    }
}
