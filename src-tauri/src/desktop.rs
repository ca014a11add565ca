//! The app's behaviour, free of Tauri so tests call it directly: log in (check against the relay,
//! pin its key, keep the token in the secret store), read the status online or from the verified
//! cache, renew through Stripe Checkout in the system browser and wait on the relay's long poll.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use erp_btp_protocol::{EntitlementPayload, RenewalChoice};
use serde::Serialize;
use tokio::sync::watch;

use crate::cache::{Session, effective_now, trusted};
use crate::error::DesktopError;
use crate::relay_client::RelayClient;
use crate::reminders::{Notifier, reminder};
use crate::secrets::{self, Login};
use crate::urls::{openable, parse_relay_url};
use crate::view::{StatusView, status_view};

/// Opens a URL in the system browser; tests pass one that records it.
pub type Opener = Arc<dyn Fn(&str) -> Result<(), String> + Send + Sync>;

/// How long the app waits for a payment before giving up (the user can wait again).
pub const PAYMENT_WAIT: Duration = Duration::from_secs(15 * 60);
/// One long poll; below common proxy idle timeouts.
const POLL_SECS: u64 = 25;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RenewalStarted {
    pub session_id: String,
    pub checkout_url: String,
    /// Subscription version when the payment started: wait for it to move.
    pub since_version: i64,
}

/// How a wait for a payment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum WaitEnd {
    /// The subscription changed: the payment landed (or failed, or is pending).
    Changed,
    /// The user stopped waiting.
    Cancelled,
    /// [`PAYMENT_WAIT`] passed without a change.
    Timeout,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct WaitOutcome {
    pub outcome: WaitEnd,
    pub status: StatusView,
}

pub struct Desktop {
    dir: PathBuf,
    account: String,
    http: reqwest::Client,
    opener: Opener,
    notifier: Notifier,
    cancel: watch::Sender<u64>,
    /// Where « Enregistrer » puts a facture's PDF.
    downloads: PathBuf,
}

pub fn system_opener() -> Opener {
    Arc::new(|url: &str| open::that_detached(url).map_err(|e| e.to_string()))
}

fn clock() -> i64 {
    chrono::Utc::now().timestamp()
}

fn timestamp(rfc3339: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .ok()
        .map(|d| d.timestamp())
}

impl Desktop {
    /// `dir` is the app's data folder; it also names this installation's secret-store entries.
    pub fn new(dir: PathBuf, opener: Opener) -> Self {
        let account = dir.display().to_string();
        Self {
            downloads: dir.join("factures"),
            dir,
            account,
            http: reqwest::Client::new(),
            opener,
            notifier: crate::reminders::silent(),
            cancel: watch::channel(0).0,
        }
    }

    /// Shows reminders through `notifier` (the system's notifications in the app).
    pub fn with_notifier(mut self, notifier: Notifier) -> Self {
        self.notifier = notifier;
        self
    }

    /// Saves factures into `dir` (the user's downloads folder in the app).
    pub fn with_downloads(mut self, dir: PathBuf) -> Self {
        self.downloads = dir;
        self
    }

    pub(crate) fn downloads(&self) -> &std::path::Path {
        &self.downloads
    }

    /// Opens `url` (already checked by [`openable`]) in the system browser.
    pub(crate) fn open(&self, url: &str) -> Result<(), DesktopError> {
        (self.opener)(url).map_err(|_| DesktopError::LinkNotOpened(url.to_owned()))
    }

    pub(crate) fn logged_in(&self) -> Result<(Session, Login, RelayClient), DesktopError> {
        let login = secrets::load_login(&self.account)?.ok_or(DesktopError::NotLoggedIn)?;
        let session = Session::load(&self.dir)?.unwrap_or_default();
        let url = parse_relay_url(&login.relay_url)?;
        Ok((session, login, RelayClient::new(self.http.clone(), url)))
    }

    /// What the relay answered, if it is trusted (see [`trusted`]).
    fn check(
        public_key: &str,
        client_id: Option<&str>,
        entitlement: &str,
    ) -> Result<EntitlementPayload, DesktopError> {
        trusted(public_key, client_id, entitlement).ok_or(DesktopError::UntrustedAnswer)
    }

    pub async fn login(&self, relay_url: &str, token: &str) -> Result<StatusView, DesktopError> {
        let url = parse_relay_url(relay_url)?;
        let token = token.trim();
        if token.is_empty() {
            return Err(DesktopError::TokenRefused);
        }
        let client = RelayClient::new(self.http.clone(), url.clone());
        let key = client.public_key().await?;
        let status = client.status(token, None).await?;
        let payload = Self::check(&key.public_key, None, &status.entitlement)?;
        let plans = client.plans().await?;
        let mut login = Login {
            token: token.to_owned(),
            public_key: key.public_key,
            relay_url: url.to_string(),
            client_id: payload.client_id.clone(),
            max_seen: 0,
            max_version: payload.version,
        };
        secrets::save_login(&self.account, &login)?;
        let mut session = Session {
            entitlement: Some(status.entitlement),
            last_sync: Some(clock()),
            plans,
            notified: None,
        };
        self.finish(&mut session, &mut login, &payload, false)
    }

    pub fn logout(&self) -> Result<(), DesktopError> {
        self.cancel_wait();
        secrets::delete_login(&self.account)?;
        Session::delete(&self.dir)
    }

    /// The status from the relay, or from the verified cache when the relay is unreachable.
    pub async fn status(&self) -> Result<StatusView, DesktopError> {
        let (mut session, mut login, client) = self.logged_in()?;
        match client.status(&login.token, None).await {
            Ok(status) => {
                self.accept(&mut session, &mut login, &client, status.entitlement)
                    .await
            }
            Err(DesktopError::RelayUnreachable) => self.offline(&mut session, &mut login),
            Err(e) => Err(e),
        }
    }

    /// [`Self::status`], except that a first run with `ERP_BTP_RELAY_URL` and `ERP_BTP_TOKEN` set
    /// (unattended installation by the company's IT) logs in with them.
    pub async fn status_or_provision(
        &self,
        provisioned: Option<(String, String)>,
    ) -> Result<StatusView, DesktopError> {
        match (self.status().await, provisioned) {
            (Err(DesktopError::NotLoggedIn), Some((url, token))) => self.login(&url, &token).await,
            (result, _) => result,
        }
    }

    async fn accept(
        &self,
        session: &mut Session,
        login: &mut Login,
        client: &RelayClient,
        entitlement: String,
    ) -> Result<StatusView, DesktopError> {
        let payload = Self::check(&login.public_key, Some(&login.client_id), &entitlement)?;
        session.entitlement = Some(entitlement);
        session.last_sync = Some(clock());
        if let Ok(plans) = client.plans().await {
            session.plans = plans;
        }
        self.finish(session, login, &payload, false)
    }

    fn offline(
        &self,
        session: &mut Session,
        login: &mut Login,
    ) -> Result<StatusView, DesktopError> {
        // A validly signed cache older than what this app has already seen (a `session.json`
        // restored from a backup) could show access that was since lost: not trusted.
        let verified = session
            .verified(&login.public_key, &login.client_id)
            .and_then(|p| match p.version < login.max_version {
                true => Err(DesktopError::CacheTampered),
                false => Ok(p),
            });
        match verified {
            Ok(payload) => self.finish(session, login, &payload, true),
            Err(DesktopError::CacheTampered) => {
                session.entitlement = None;
                session.save(&self.dir)?;
                Err(DesktopError::CacheTampered)
            }
            Err(e) => Err(e),
        }
    }

    /// Builds the view at the corrected time; saves the session, and the time seen in the
    /// secret store.
    fn finish(
        &self,
        session: &mut Session,
        login: &mut Login,
        payload: &EntitlementPayload,
        offline: bool,
    ) -> Result<StatusView, DesktopError> {
        let now = clock();
        let seen = effective_now(now, login.max_seen, timestamp(&payload.issued_at));
        if seen > login.max_seen {
            login.max_seen = seen;
            secrets::save_max_seen(&self.account, seen)?;
        }
        if payload.version > login.max_version {
            login.max_version = payload.version;
            secrets::save_max_version(&self.account, payload.version)?;
        }
        let mut view = status_view(payload, &session.plans, seen, session.last_sync, offline);
        if let Some(r) = reminder(&view).filter(|r| session.notified.as_ref() != Some(&r.key)) {
            (self.notifier)(&r.title, &r.body);
            session.notified = Some(r.key);
        }
        session.save(&self.dir)?;
        view.notice = if now + 300 < seen {
            Some("L'horloge de cet ordinateur retarde : les jours restants sont comptés à partir de la date la plus récente déjà vue.".into())
        } else if offline {
            Some("Relais injoignable : affichage des dernières données vérifiées.".into())
        } else {
            None
        };
        Ok(view)
    }

    /// Creates the Checkout Session through the relay and opens it in the system browser.
    pub async fn start_renewal(
        &self,
        plan: &str,
        renewal: RenewalChoice,
    ) -> Result<RenewalStarted, DesktopError> {
        let (_, login, client) = self.logged_in()?;
        let status = client.status(&login.token, None).await?;
        // The version to wait from must come from the relay we trust.
        let since_version = Self::check(
            &login.public_key,
            Some(&login.client_id),
            &status.entitlement,
        )?
        .version;
        let session = client.checkout(&login.token, plan, renewal).await?;
        let url = openable(&session.url, client.base())?;
        (self.opener)(url.as_str())
            .map_err(|_| DesktopError::BrowserUnavailable(session.url.clone()))?;
        Ok(RenewalStarted {
            session_id: session.session_id,
            checkout_url: session.url,
            since_version,
        })
    }

    /// Waits on the relay until the subscription's version leaves `since`, the user cancels,
    /// or [`PAYMENT_WAIT`] passes. A dropped connection is retried, not reported.
    pub async fn wait_for_payment(&self, since: i64) -> Result<WaitOutcome, DesktopError> {
        let (mut session, mut login, client) = self.logged_in()?;
        let mut cancelled = self.cancel.subscribe();
        cancelled.mark_unchanged();
        let deadline = Instant::now() + PAYMENT_WAIT;
        while Instant::now() < deadline {
            tokio::select! {
                answer = client.status(&login.token, Some((POLL_SECS, since))) => match answer {
                    Ok(status) if status.version != since => {
                        let view = self.accept(&mut session, &mut login, &client, status.entitlement).await?;
                        return Ok(WaitOutcome { outcome: WaitEnd::Changed, status: view });
                    }
                    Ok(_) => {}
                    Err(DesktopError::RelayUnreachable) => tokio::time::sleep(Duration::from_secs(2)).await,
                    Err(e) => return Err(e),
                },
                _ = cancelled.changed() => {
                    return Ok(WaitOutcome { outcome: WaitEnd::Cancelled, status: self.status().await? });
                }
            }
        }
        Ok(WaitOutcome {
            outcome: WaitEnd::Timeout,
            status: self.status().await?,
        })
    }

    pub fn cancel_wait(&self) {
        self.cancel.send_modify(|generation| *generation += 1);
    }

    /// Opens the relay's web renewal page through a short-lived link (never the token in a URL).
    /// Opens the company's Stripe customer portal (card, stop or resume renewal) in the browser;
    /// the window refreshes the status when the admin comes back to it.
    pub async fn open_billing_portal(&self) -> Result<(), DesktopError> {
        let (_, login, client) = self.logged_in()?;
        let portal = client.billing_portal(&login.token).await?;
        let url = openable(&portal, client.base())?;
        (self.opener)(url.as_str()).map_err(|_| DesktopError::BrowserUnavailable(portal))
    }

    pub async fn open_web_renewal(&self) -> Result<(), DesktopError> {
        let (_, login, client) = self.logged_in()?;
        let link = client.renew_link(&login.token).await?;
        let url = openable(&link, client.base())?;
        (self.opener)(url.as_str()).map_err(|_| DesktopError::BrowserUnavailable(link))
    }
}
