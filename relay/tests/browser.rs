//! The pages in headless Chromium (Debian's `chromium`, driven by playwright-core from
//! `tests/browser`): the pricing page renders both plans without console errors, and a renewal
//! goes from the renew link through the sandbox checkout to the success page, whose facture then
//! downloads as a PDF; an operator logs in to the console and finds a company.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Backend, DAY, World, now, start};

fn browser_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/browser")
}

/// Runs a script of `tests/browser` with Node; fails with its output if it does.
fn node(script: &str, args: &[&str]) {
    let dir = browser_dir();
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in tests/browser first (.ci/run does)"
    );
    let out = Command::new("node")
        .arg(dir.join(script))
        .args(args)
        .output()
        .expect("node is installed");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{text}");
}

async fn renew_link(w: &World) -> String {
    let (_, body) = w.post_json("/api/renew-link", Some(&w.token), "").await;
    body["url"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pricing_and_cancelled_pages_render_in_chromium_without_console_errors() {
    let w = start(Backend::Sqlite).await;
    let base = w.base.clone();
    tokio::task::spawn_blocking(move || node("pages.mjs", &[&base]))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_in_chromium_pays_with_4242_and_says_it_renews_automatically() {
    let w = start(Backend::Sqlite).await;
    let link = renew_link(&w).await;
    tokio::task::spawn_blocking(move || {
        node(
            "checkout.mjs",
            &[
                &link,
                "4242 4242 4242 4242",
                "Renouvellement automatique activé",
                "auto",
            ],
        )
    })
    .await
    .unwrap();
    w.sandbox.idle().await;
    let row = w.state.db.subscription(&w.client).await.unwrap().unwrap();
    assert!(
        row.renewal.subscription_id.is_some() && row.renewal.paid_until.unwrap() > now() + 27 * DAY
    );
    // « Gérer le paiement »: the portal in the same browser, each action seen by the relay.
    let (_, portal) = w.post_json("/api/billing-portal", Some(&w.token), "").await;
    let url = portal["url"].as_str().unwrap().to_owned();
    tokio::task::spawn_blocking(move || node("portal.mjs", &[&url]))
        .await
        .unwrap();
    w.sandbox.idle().await;
    let renewal = w.status().await["renewal"].clone();
    assert_eq!(
        (
            renewal["cancel_at_period_end"].as_bool(),
            renewal["card_last4"].as_str()
        ),
        (Some(false), Some("0341"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_off_renewal_in_chromium_types_the_card_pays_and_lands_on_the_success_page() {
    let w = start(Backend::Sqlite).await;
    let link = renew_link(&w).await;
    tokio::task::spawn_blocking(move || {
        node(
            "checkout.mjs",
            &[
                &link,
                "4242 4242 4242 4242",
                "votre paiement est confirmé",
                "once",
            ],
        )
    })
    .await
    .unwrap();
    w.sandbox.idle().await;
    assert!((w.expiry().await.unwrap() - (now() + 30 * DAY)).abs() <= 5);
    // Its facture, by the signed link the desktop app opens in the browser.
    let (_, list) = w.get_json("/api/invoices", Some(&w.token)).await;
    let facture = &list["invoices"][0];
    let (url, number) = (
        facture["pdf_url"].as_str().unwrap().to_owned(),
        facture["number"].as_str().unwrap().to_owned(),
    );
    tokio::task::spawn_blocking(move || node("facture.mjs", &[&url, &number]))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_disputed_at_the_bank_shows_on_the_renew_page_as_access_suspended() {
    let w = start(Backend::Sqlite).await;
    let link = renew_link(&w).await;
    tokio::task::spawn_blocking(move || {
        node(
            "checkout.mjs",
            &[
                &link,
                "4000 0000 0000 0259",
                "votre paiement est confirmé",
                "once",
            ],
        )
    })
    .await
    .unwrap();
    w.sandbox.idle().await;
    assert_eq!(w.status().await["status"], "expired", "suspended");
    let link = renew_link(&w).await;
    tokio::task::spawn_blocking(move || {
        node(
            "renew.mjs",
            &[
                &link,
                "Paiement contesté auprès de votre banque : accès suspendu.",
                "renew-disputed",
            ],
        )
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_3ds_renewal_in_chromium_confirms_and_pays() {
    let w = start(Backend::Sqlite).await;
    let link = renew_link(&w).await;
    tokio::task::spawn_blocking(move || {
        node(
            "checkout.mjs",
            &[
                &link,
                "4000 0025 0000 3155",
                "votre paiement est confirmé",
                "once",
            ],
        )
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_in_chromium_shows_the_refusal_and_changes_nothing() {
    let w = start(Backend::Sqlite).await;
    let link = renew_link(&w).await;
    tokio::task::spawn_blocking(move || {
        node(
            "checkout.mjs",
            &[
                &link,
                "4000 0000 0000 0002",
                "Votre carte a été refusée",
                "auto",
            ],
        )
    })
    .await
    .unwrap();
    w.sandbox.idle().await;
    assert_eq!(w.expiry().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_in_chromium_logs_in_finds_a_company_and_logs_out() {
    let w = start(Backend::Sqlite).await;
    w.buy("mensuel").await;
    let martin = relay::domain::ClientId::parse("40").unwrap();
    w.state
        .db
        .add_client(&martin, "Charpentes Martin")
        .await
        .unwrap();
    w.rejected_for_a_missing_plan().await;
    let (email, password) = ("chef@erp-btp.fr", "échafaudage-2026");
    let (reader, reader_password) = ("compta@erp-btp.fr", "carnet-de-chantier");
    w.add_operator(reader, relay::core::console::Role::Lecture, reader_password)
        .await;
    w.add_operator(email, relay::core::console::Role::Admin, password)
        .await;
    let (base, token) = (w.base.clone(), w.token.clone());
    tokio::task::spawn_blocking(move || {
        node(
            "console.mjs",
            &[&base, email, password, reader, reader_password, &token],
        )
    })
    .await
    .unwrap();
}
