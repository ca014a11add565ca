//! `relay admins totp --email … [--off]`: turns an operator's second factor on or off. On, a new
//! secret is shown once (its base32 key and its `otpauth://` link, for an authenticator
//! application) and kept only once the operator has typed a code it gives, so that nobody is
//! locked out by a mistyped key; the secret is stored sealed (`sealed`). Either way the
//! operator's sessions end, and the audit trail says so.

use std::io::BufRead;
use std::process::ExitCode;

use rand::RngCore;

use crate::core::Timestamp;
use crate::core::totp::{SECRET_LEN, accepted_step, base32, otpauth_uri};
use crate::db::Db;
use crate::db::operators::AuditLine;
use crate::keys::Keys;

/// The name an authenticator application shows above the code.
const ISSUER: &str = "ERP BTP relais";

pub(super) async fn totp(
    db: &Db,
    keys: &Keys,
    email: &str,
    off: bool,
    now: Timestamp,
    audit: impl Fn(&str, String) -> AuditLine,
) -> anyhow::Result<ExitCode> {
    let Some(operator) = db.operator(email).await? else {
        eprintln!("Aucun opérateur {email}.");
        return Ok(ExitCode::from(1));
    };
    if off {
        db.set_operator_totp(email, None, now).await?;
        db.audit(&audit(
            "double authentification désactivée",
            email.to_owned(),
        ))
        .await?;
        println!("Double authentification de {email} désactivée ; ses sessions sont fermées.");
        return Ok(ExitCode::SUCCESS);
    }
    let mut secret = [0u8; SECRET_LEN];
    rand::thread_rng().fill_bytes(&mut secret);
    let key = base32(&secret);
    let grouped: Vec<&str> = key
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("base32 is ASCII"))
        .collect();
    println!(
        "Double authentification de {} ({}) : ajoutez ce compte à votre application \
         (FreeOTP, Aegis, Google Authenticator…), par la clé ou par le lien.\n  clé : {}\n  lien : {}",
        operator.email,
        operator.role.as_str(),
        grouped.join(" "),
        otpauth_uri(ISSUER, &operator.email, &secret)
    );
    eprint!("Code à 6 chiffres affiché par l'application : ");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let Some(step) = accepted_step(&secret, now.unix(), line.trim(), None) else {
        eprintln!(
            "Code incorrect : la double authentification n'est pas activée (relancez la commande)."
        );
        return Ok(ExitCode::from(1));
    };
    db.set_operator_totp(email, Some(&keys.seal(&secret)), now)
        .await?;
    // The code just typed is used: it does not open a session afterwards.
    db.use_totp_step(email, step).await?;
    db.audit(&audit("double authentification activée", email.to_owned()))
        .await?;
    println!(
        "Double authentification de {email} activée : le code de l'application est demandé à chaque connexion ; ses sessions sont fermées."
    );
    Ok(ExitCode::SUCCESS)
}
