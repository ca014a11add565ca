//! `relay admins add|list|remove|passwd|totp`: the operators of the console at `/admin`. A password is
//! asked twice on a terminal (not echoed), or read from the first line of stdin otherwise; only its
//! Argon2id hash is stored. Removing an operator or changing a password ends their sessions.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::Subcommand;

use crate::core::console::{Role, password_acceptable};
use crate::db::Db;
use crate::db::operators::AuditLine;

#[derive(Subcommand)]
pub(super) enum AdminsAction {
    /// Ajoute un opérateur de la console ; le mot de passe est demandé deux fois (ou lu sur l'entrée standard).
    Add {
        #[arg(long)]
        email: String,
        /// lecture (consulte) ou admin (agit : remboursements, révocations).
        #[arg(long)]
        role: String,
    },
    /// Liste les opérateurs (jamais leurs mots de passe).
    List,
    /// Supprime un opérateur ; ses sessions prennent fin aussitôt.
    Remove {
        #[arg(long)]
        email: String,
    },
    /// Change le mot de passe d'un opérateur ; ses sessions prennent fin aussitôt.
    Passwd {
        #[arg(long)]
        email: String,
    },
    /// Active la double authentification (code TOTP d'une application) d'un opérateur, ou la désactive avec --off.
    Totp {
        #[arg(long)]
        email: String,
        #[arg(long)]
        off: bool,
    },
}

/// Who acted, in the audit trail, for what the command line does.
const COMMAND_LINE: &str = "ligne de commande";

/// `text` as an operator's e-mail (trimmed, lower case), or why not.
fn email(text: &str) -> anyhow::Result<String> {
    let email = text.trim().to_lowercase();
    let well_formed = email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.contains('@')
        });
    anyhow::ensure!(
        well_formed,
        "--email « {} » n'est pas une adresse e-mail",
        text.trim()
    );
    Ok(email)
}

/// The new password: twice on a terminal, with the echo off; else the first line of stdin.
fn new_password() -> anyhow::Result<String> {
    let password = if std::io::stdin().is_terminal() {
        let first = prompt("Mot de passe : ")?;
        password_acceptable(&first).map_err(anyhow::Error::msg)?;
        let second = prompt("Le même, une seconde fois : ")?;
        anyhow::ensure!(
            first == second,
            "les deux mots de passe diffèrent : rien n'est changé"
        );
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    password_acceptable(&password).map_err(anyhow::Error::msg)?;
    Ok(password)
}

/// Reads one line from the terminal without echoing it.
fn prompt(question: &str) -> anyhow::Result<String> {
    eprint!("{question}");
    std::io::stderr().flush()?;
    let fd = libc::STDIN_FILENO;
    // SAFETY: termios is plain data; tcgetattr fills it for a terminal, which stdin is here.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    let echo_off = unsafe { libc::tcgetattr(fd, &mut saved) } == 0;
    if echo_off {
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        // SAFETY: a copy of the terminal's own settings with ECHO cleared.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) };
    }
    let mut line = String::new();
    let read = std::io::stdin().lock().read_line(&mut line);
    if echo_off {
        // SAFETY: restores the settings read above.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &saved) };
    }
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub(super) async fn admins(
    db: &Db,
    keys: &crate::keys::Keys,
    action: AdminsAction,
) -> anyhow::Result<ExitCode> {
    let now = crate::clock::Clock::default().timestamp();
    let audit = |action: &str, detail: String| AuditLine {
        at: now.unix(),
        email: COMMAND_LINE.into(),
        action: action.into(),
        detail,
        address: COMMAND_LINE.into(),
    };
    match action {
        AdminsAction::Add { email: text, role } => {
            let email = email(&text)?;
            let role = Role::parse(role.trim()).ok_or_else(|| {
                anyhow::anyhow!(
                    "--role « {} » : valeurs possibles lecture ou admin",
                    role.trim()
                )
            })?;
            anyhow::ensure!(
                db.operator(&email).await?.is_none(),
                "{email} est déjà opérateur"
            );
            let password = new_password()?;
            let hash =
                tokio::task::spawn_blocking(move || crate::console::password::hash(&password))
                    .await?;
            anyhow::ensure!(
                db.add_operator(&email, role, &hash, now).await?,
                "{email} est déjà opérateur"
            );
            db.audit(&audit(
                "opérateur ajouté",
                format!("{email} ({})", role.as_str()),
            ))
            .await?;
            println!(
                "Opérateur {email} ({}) ajouté : il se connecte sur /admin.",
                role.as_str()
            );
        }
        AdminsAction::List => {
            let list = db.operators().await?;
            if list.is_empty() {
                println!(
                    "Aucun opérateur : ajoutez-en un avec relay admins add --email … --role admin"
                );
            }
            for o in list {
                let since = crate::routes::subscription::rfc3339(o.created_at);
                let second = match o.totp_sealed {
                    Some(_) => "double authentification",
                    None => "mot de passe seul",
                };
                println!("{}\t{}\t{second}\tdepuis {since}", o.email, o.role.as_str());
            }
        }
        AdminsAction::Remove { email: text } => {
            let email = email(&text)?;
            if !db.remove_operator(&email).await? {
                eprintln!("Aucun opérateur {email}.");
                return Ok(ExitCode::from(1));
            }
            db.audit(&audit("opérateur supprimé", email.clone()))
                .await?;
            println!("Opérateur {email} supprimé ; ses sessions sont fermées.");
        }
        AdminsAction::Passwd { email: text } => {
            let email = email(&text)?;
            anyhow::ensure!(
                db.operator(&email).await?.is_some(),
                "aucun opérateur {email}"
            );
            let password = new_password()?;
            let hash =
                tokio::task::spawn_blocking(move || crate::console::password::hash(&password))
                    .await?;
            db.set_operator_password(&email, &hash, now).await?;
            db.audit(&audit("mot de passe changé", email.clone()))
                .await?;
            println!("Mot de passe de {email} changé ; ses sessions sont fermées.");
        }
        AdminsAction::Totp { email: text, off } => {
            let email = email(&text)?;
            return super::totp::totp(db, keys, &email, off, now, audit).await;
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_email_is_trimmed_lowered_and_must_look_like_one() {
        assert_eq!(
            super::email("  Chef@Dupont-BTP.fr ").unwrap(),
            "chef@dupont-btp.fr"
        );
        for bad in [
            "",
            "chef",
            "@dupont.fr",
            "chef@dupont",
            "chef @dupont.fr",
            "a@b@c.fr",
        ] {
            assert!(super::email(bad).is_err(), "{bad}");
        }
    }
}
