//! `relay admins`: operators added with a password read from stdin (never echoed, never
//! listed), refused when the password is short or the role unknown, removed and re-keyed; the
//! second factor turned on with a code from the key shown once, and off.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

use crate::common::{Backend, TestDb};

/// `relay admins …` on `db`, started with its three streams piped.
fn spawn_admins(db: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .arg("admins")
        .args(args)
        .env_clear()
        .env("DATABASE_URL", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `relay admins …` on `db` with `stdin` typed in.
fn admins(db: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = spawn_admins(db, args);
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn the_admins_commands_add_list_passwd_and_remove_operators(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.as_str();
    let add = ["add", "--email", "Chef@ERP-BTP.fr", "--role", "admin"];

    let short = admins(url, &add, "court\n");
    assert_eq!(short.status.code(), Some(1), "{}", text(&short));
    assert!(
        text(&short).contains("au moins 12 caractères"),
        "{}",
        text(&short)
    );
    let role = admins(
        url,
        &["add", "--email", "a@b.fr", "--role", "chef"],
        "un-mot-de-passe-long\n",
    );
    assert!(
        text(&role).contains("valeurs possibles lecture ou admin"),
        "{}",
        text(&role)
    );
    let list = admins(url, &["list"], "");
    assert!(
        text(&list).contains("Aucun opérateur"),
        "nothing stored: {}",
        text(&list)
    );

    let added = admins(url, &add, "échafaudage-2026\n");
    assert!(added.status.success(), "{}", text(&added));
    assert!(
        text(&added).contains("chef@erp-btp.fr (admin) ajouté"),
        "{}",
        text(&added)
    );
    let again = admins(url, &add, "échafaudage-2026\n");
    assert!(text(&again).contains("déjà opérateur"), "{}", text(&again));
    let reader = admins(
        url,
        &["add", "--email", "compta@erp-btp.fr", "--role", "lecture"],
        "carnet-de-chantier\n",
    );
    assert!(reader.status.success(), "{}", text(&reader));

    let list = text(&admins(url, &["list"], ""));
    assert!(
        list.contains("chef@erp-btp.fr\tadmin") && list.contains("compta@erp-btp.fr\tlecture"),
        "{list}"
    );
    assert!(
        !list.contains("argon2") && !list.contains("échafaudage"),
        "never a password: {list}"
    );

    let relay_db = relay::db::Db::connect(url).await.unwrap();
    let stored = relay_db.operator("chef@erp-btp.fr").await.unwrap().unwrap();
    assert!(relay::console::password::verify(
        "échafaudage-2026",
        &stored.password_hash
    ));
    let passwd = admins(
        url,
        &["passwd", "--email", "chef@erp-btp.fr"],
        "un-nouveau-mot-de-passe\n",
    );
    assert!(passwd.status.success(), "{}", text(&passwd));
    let stored = relay_db.operator("chef@erp-btp.fr").await.unwrap().unwrap();
    assert!(relay::console::password::verify(
        "un-nouveau-mot-de-passe",
        &stored.password_hash
    ));

    let removed = admins(url, &["remove", "--email", "compta@erp-btp.fr"], "");
    assert!(removed.status.success(), "{}", text(&removed));
    let unknown = admins(url, &["remove", "--email", "compta@erp-btp.fr"], "");
    assert_eq!(unknown.status.code(), Some(1));
    let audit: Vec<String> = relay_db
        .audit_lines(10)
        .await
        .unwrap()
        .into_iter()
        .map(|l| format!("{} {}", l.action, l.detail))
        .collect();
    assert!(
        audit.contains(&"opérateur ajouté chef@erp-btp.fr (admin)".to_owned()),
        "{audit:?}"
    );
    assert!(
        audit.contains(&"mot de passe changé chef@erp-btp.fr".to_owned()),
        "{audit:?}"
    );
    assert!(
        audit.contains(&"opérateur supprimé compta@erp-btp.fr".to_owned()),
        "{audit:?}"
    );
    relay_db.pool.close().await;
}

/// RFC 4648 base32 back to bytes (the key the command shows, spaces removed).
fn unbase32(text: &str) -> Vec<u8> {
    let (mut bits, mut count, mut out) = (0u64, 0, Vec::new());
    for c in text.bytes() {
        let v = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
            .iter()
            .position(|&a| a == c)
            .expect("a base32 letter") as u64;
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

async fn the_second_factor_is_kept_only_once_a_code_from_its_key_is_typed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.as_str();
    let chef = ["--email", "chef@erp-btp.fr"];
    let add = admins(
        url,
        &["add", chef[0], chef[1], "--role", "admin"],
        "échafaudage-2026
",
    );
    assert!(add.status.success(), "{}", text(&add));
    let totp = ["totp", chef[0], chef[1]];

    let doctor = || {
        let vars = super::good_env(url);
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        String::from_utf8_lossy(&super::relay(&["doctor"], &vars).stdout).to_string()
    };
    let warned = "opérateur(s) admin de la console sans double authentification : chef@erp-btp.fr";
    assert!(doctor().contains(warned), "{}", doctor());

    let wrong = admins(url, &totp, "abcdef\n");
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong));
    assert!(text(&wrong).contains("Code incorrect"), "{}", text(&wrong));
    let list = text(&admins(url, &["list"], ""));
    assert!(list.contains("mot de passe seul"), "nothing kept: {list}");

    // The key as the operator reads it, then the code their application computes from it.
    let mut child = spawn_admins(url, &totp);
    let mut shown = BufReader::new(child.stdout.take().unwrap());
    let mut key = String::new();
    let mut line = String::new();
    while key.is_empty() && shown.read_line(&mut line).unwrap() > 0 {
        if let Some(k) = line.trim().strip_prefix("clé : ") {
            key = k.replace(' ', "");
        }
        line.clear();
    }
    let secret = unbase32(&key);
    assert_eq!(secret.len(), 20, "{key}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let code = relay::core::totp::code(&secret, now / 30);
    writeln!(child.stdin.take().unwrap(), "{code:06}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let list = text(&admins(url, &["list"], ""));
    assert!(
        list.contains("chef@erp-btp.fr\tadmin\tdouble authentification"),
        "{list}"
    );

    let relay_db = relay::db::Db::connect(url).await.unwrap();
    let stored = relay_db.operator("chef@erp-btp.fr").await.unwrap().unwrap();
    let sealed = stored.totp_sealed.expect("the secret is kept");
    assert!(
        sealed.starts_with("v1.") && !sealed.contains(&key[..8]),
        "sealed: {sealed}"
    );
    assert_eq!(
        stored.totp_last_step,
        Some(now / 30),
        "the typed code is used"
    );

    assert!(
        !doctor().contains("sans double authentification"),
        "{}",
        doctor()
    );

    let off = admins(url, &["totp", chef[0], chef[1], "--off"], "");
    assert!(off.status.success(), "{}", text(&off));
    let stored = relay_db.operator("chef@erp-btp.fr").await.unwrap().unwrap();
    assert_eq!(stored.totp_sealed, None);
    let audit: Vec<String> = relay_db
        .audit_lines(10)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.action)
        .collect();
    assert!(
        audit.contains(&"double authentification activée".to_owned())
            && audit.contains(&"double authentification désactivée".to_owned()),
        "{audit:?}"
    );
    relay_db.pool.close().await;
}

crate::on_both_backends!(
    the_admins_commands_add_list_passwd_and_remove_operators,
    the_second_factor_is_kept_only_once_a_code_from_its_key_is_typed,
);
