//! Test helpers: a relay in sandbox mode (in-process, port 0, real HTTP) with client 39, and a
//! desktop app with its own data folder whose browser opener records the URLs it is given.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use erp_btp_desktop::desktop::{Desktop, Opener};
use relay::AppState;
use relay::config::Settings;
use relay::domain::ClientId;
use relay::startup::{Application, Running, StripeChoice};
use stripe_sandbox::Sandbox;

pub const DAY: i64 = 86_400;

pub struct World {
    pub base: String,
    pub token: String,
    pub state: AppState,
    pub sandbox: Sandbox,
    pub dir: PathBuf,
    pub opened: Arc<Mutex<Vec<String>>>,
    /// The system notifications shown: (title, body).
    pub notified: Arc<Mutex<Vec<(String, String)>>>,
    pub desktop: Desktop,
    relay: Running,
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A relay in sandbox mode on port 0 with client 39, and a desktop app with its own data folder.
pub async fn start() -> World {
    let dir =
        std::env::temp_dir().join(format!("erp-btp-desktop-{}", stripe_sandbox::random_id(10)));
    std::fs::create_dir_all(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let vars = HashMap::from([
        (
            "DATABASE_URL",
            format!("sqlite://{}/relay.db", dir.display()),
        ),
        ("APP_URL", base.clone()),
        ("RELAY_METRICS_ADDR", "127.0.0.1:0".into()),
    ]);
    let settings = Settings::from_lookup(|k| vars.get(k).cloned(), true).unwrap();
    let relay = Application::build_on(listener, settings, StripeChoice::Sandbox)
        .await
        .unwrap()
        .spawn();
    let (state, sandbox) = (relay.state.clone(), relay.sandbox.clone().unwrap());
    let client = ClientId::parse("39").unwrap();
    let token = state
        .db
        .add_client(&client, "Maçonnerie Dupont")
        .await
        .unwrap();
    // A company pays only once its SIREN is on file.
    state
        .db
        .set_siren(&client, &relay::siren::Siren::parse("552100554").unwrap())
        .await
        .unwrap();
    let opened = Arc::new(Mutex::new(Vec::new()));
    let record = opened.clone();
    let opener: Opener = Arc::new(move |url: &str| {
        record.lock().unwrap().push(url.to_owned());
        Ok(())
    });
    let notified = Arc::new(Mutex::new(Vec::new()));
    let shown = notified.clone();
    let notifier: erp_btp_desktop::reminders::Notifier =
        Arc::new(move |title: &str, body: &str| {
            shown
                .lock()
                .unwrap()
                .push((title.to_owned(), body.to_owned()));
        });
    let desktop = Desktop::new(dir.join("app"), opener)
        .with_notifier(notifier)
        .with_downloads(dir.join("Téléchargements"));
    World {
        base,
        token,
        state,
        sandbox,
        dir,
        opened,
        notified,
        desktop,
        relay,
    }
}

/// Changes the login kept in the secret store, as another program of the same user could.
pub fn edit_login(w: &World, change: impl FnOnce(&mut erp_btp_desktop::secrets::Login)) {
    use erp_btp_desktop::secrets::{load_login, save_login};
    let account = w.dir.join("app").display().to_string();
    let mut login = load_login(&account).unwrap().expect("logged in");
    change(&mut login);
    save_login(&account, &login).unwrap();
}

/// Points the app at a relay that never answers, so that it works from its cache.
pub fn go_offline(w: &World) {
    edit_login(w, |l| l.relay_url = "http://127.0.0.1:9".into());
}

pub fn session_file(w: &World) -> PathBuf {
    w.dir.join("app/session.json")
}

pub fn edit_session(path: &Path, change: impl FnOnce(&mut serde_json::Value)) {
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    change(&mut json);
    std::fs::write(path, json.to_string()).unwrap();
}

/// Starts a renewal from the app, pays it with 4242 and waits for the relay to apply it.
pub async fn renew_and_wait(
    w: &World,
    plan: &str,
    renewal: erp_btp_protocol::RenewalChoice,
) -> erp_btp_desktop::desktop::WaitOutcome {
    let started = w.desktop.start_renewal(plan, renewal).await.unwrap();
    pay(&started.checkout_url).await;
    w.desktop
        .wait_for_payment(started.since_version)
        .await
        .unwrap()
}

/// Pays the checkout page at `url` with the test card, as the browser would.
pub async fn pay(url: &str) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = http
        .post(url)
        .form(
            &[
                ("method", "card"),
                ("card_number", "4242424242424242"),
                ("expiry", "12/34"),
                ("cvc", "123"),
            ]
            .into_iter()
            .chain(stripe_sandbox::details::TEST_BILLING_FORM)
            .collect::<Vec<_>>(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
}
