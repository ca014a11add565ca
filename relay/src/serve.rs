//! `relay serve [--sandbox]`: the application run until SIGTERM or Ctrl-C; in sandbox mode it
//! registers (or re-keys) the demo client and prints how to try a renewal.

use crate::config::Settings;
use crate::domain::ClientId;
use crate::startup::{Application, StripeChoice};
use crate::state::AppState;

pub async fn serve(settings: Settings, sandbox: bool) -> anyhow::Result<()> {
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let stripe = if sandbox {
        StripeChoice::Sandbox
    } else {
        StripeChoice::Configured
    };
    let app = Application::build(settings, stripe).await?;
    if let Some(sandbox) = app.sandbox() {
        announce_sandbox(app.state(), &sandbox.config().secret_key).await?;
    }
    if let Some(pa) = app.pa_sandbox() {
        announce_platform(app.state(), pa.credentials());
    }
    tracing::info!(
        "relay listening on http://{} (APP_URL {}), metrics on http://{}/metrics",
        app.local_addr(),
        app.state().settings.app_url,
        app.metrics_addr()
    );
    app.run_until(shutdown_signal()).await
}

/// The demo company's SIREN under `serve --sandbox`.
pub const DEMO_SIREN: &str = "123456782";

async fn announce_sandbox(state: &AppState, stripe_key: &str) -> anyhow::Result<()> {
    let demo = ClientId::parse("demo").expect("valid id");
    let token = match state.db.add_client(&demo, "Entreprise Démo BTP").await {
        Ok(token) => token,
        Err(crate::db::clients::ClientError::Exists(_)) => state.db.reissue_token(&demo).await?,
        Err(e) => return Err(e.into()),
    };
    // A made-up number with a valid check digit: every facture names its buyer by SIREN, and
    // a tester pays at once. `claim_siren` keeps one a tester changed with `relay clients set`.
    let siren = crate::siren::Siren::parse(DEMO_SIREN).expect("a valid SIREN");
    state.db.claim_siren(&demo, &siren).await?;
    let link = state.settings.public_url(&format!(
        "/renew-subscription?link={}",
        state.keys.renew_token(&demo, state.clock.timestamp())
    ));
    // Stdout, never the log: a tester needs the key for stripe-python, curl or `relay simulate`.
    say(&format!(
        "Mode sandbox : Stripe est simulé, aucun paiement réel n'a lieu.
Client de démonstration « demo » — page de renouvellement (valable 15 min) :
  {link}
Carte de test : 4242 4242 4242 4242, date future, CVC quelconque.
Clé secrète du Stripe simulé : {stripe_key}
Jeton d'API du client demo (pour l'application de bureau ou relay simulate) :
{token}
"
    ));
    if state.settings.console {
        say(&format!(
            "Console des opérateurs : {}
  créez d'abord un opérateur : relay admins add --email vous@exemple.fr --role admin
",
            state.settings.public_url("/admin")
        ));
    }
    Ok(())
}

/// The offline platform's addresses and test credentials, on stdout (never the log), so that a
/// tester can drive it with any XP Z12-013 client.
fn announce_platform(state: &AppState, credentials: &pa_sandbox::Credentials) {
    let base = state.settings.public_url("/sandbox-pa");
    let mut text = format!(
        "Plateforme agréée simulée (AFNOR XP Z12-013), aucune transmission réelle :
  service Flow : {base}/afnor-flow
  service Annuaire : {base}/afnor-directory
  jeton OAuth2 (client_credentials) : {base}/token
  page des flux : {base}
  identifiants de test : client_id {} ; client_secret {}
",
        credentials.client_id, credentials.client_secret
    );
    if state.settings.pa.api.is_none() {
        text.push_str("  PA_MODE=off : le relais n'y transmet pas ses factures.\n");
    }
    say(&text);
}

/// Writes `text` to stdout for the tester. A closed stdout (`relay serve --sandbox | head`, a
/// test that stopped reading) must not stop the server, as `println!` would by panicking.
fn say(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
