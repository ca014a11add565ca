//! What the facture tests share: the independent validators, the invoice list, a download
//! checked against its stored hash, the accountant's export and a fresh folder.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::common::World;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs the independent validators over `dir`; (success, what they printed).
pub fn validate(dir: &Path) -> (bool, String) {
    let out = Command::new("python3")
        .arg(workspace().join("tests/validation/validate.py"))
        .arg(dir)
        .output()
        .expect("python3 runs (tests/setup.sh installs factur-x, Saxon and poppler)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

pub async fn invoices(w: &World, token: &str) -> Vec<Value> {
    let (code, body) = w.get_json("/api/invoices", Some(token)).await;
    assert_eq!(code, 200, "{body}");
    body["invoices"].as_array().unwrap().clone()
}

/// The body of `url`, checking the stored hash the relay sends with it.
pub async fn download(w: &World, url: &str, token: Option<&str>) -> (u16, Vec<u8>) {
    let mut req = w.http.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let sha = resp
        .headers()
        .get("x-facture-sha256")
        .map(|v| v.to_str().unwrap().to_owned());
    let body = resp.bytes().await.unwrap().to_vec();
    if status == 200 && url.contains("/pdf") {
        assert_eq!(
            sha.unwrap(),
            hex::encode(Sha256::digest(&body)),
            "the stored hash"
        );
    }
    (status, body)
}

/// `relay invoices export --year <year> --to <to>` on the world's database, as the accountant
/// runs it.
pub fn export(w: &World, year: &str, to: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["invoices", "export", "--year", year, "--to"])
        .arg(to)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("DATABASE_URL", &w.db.url)
        .output()
        .unwrap()
}

pub fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("{name}-{}", stripe_sandbox::random_id(8)));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
