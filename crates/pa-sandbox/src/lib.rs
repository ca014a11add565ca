//! An offline approved platform (plateforme agréée) for tests and demos: the AFNOR XP Z12-013
//! Flow Service 1.1.0 under `/afnor-flow`, the Directory routes a « solution compatible » uses
//! under `/afnor-directory`, an OAuth2 client-credentials token endpoint at `/token`, control
//! routes for tests under `/control` and a French page at `/` listing the flows and statuses.
//! It checks what it receives as a platform would (checksum, syntax, the Factur-X's embedded
//! CII), deposits each good invoice (status 200) and, for magic buyer SIRENs or on demand,
//! rejects (213), refuses (210) or approves (205) it, each status sent back as a CDAR flow.
//! It transmits nothing to the tax administration. Mount [`PaSandbox::router`] anywhere.

mod auth;
mod check;
mod directory;
mod error;
mod flows;
mod lifecycle;
mod page;
mod reading;
mod store;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::routing::{get, post};
use rand::Rng;

pub use lifecycle::{
    APPROVED_SIREN, REFUSED_SIREN, REJECTED_SIREN, SUFFIX_SIREN, Status, UNKNOWN_SIREN,
};
pub use store::FlowView;

/// The test credentials the token endpoint accepts, as a platform issues them to a client.
#[derive(Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"…")
            .finish()
    }
}

impl Credentials {
    /// Fresh credentials, for a sandbox started without `PA_CLIENT_ID` / `PA_CLIENT_SECRET`.
    pub fn generate() -> Self {
        Self {
            client_id: format!("sandbox-{}", random_hex(8)),
            client_secret: random_hex(24),
        }
    }
}

/// The offline platform: cheap to clone, every clone shares the same flows.
#[derive(Clone)]
pub struct PaSandbox {
    inner: Arc<Inner>,
}

struct Inner {
    credentials: Credentials,
    store: Mutex<store::Store>,
    tokens: Mutex<auth::Tokens>,
}

impl PaSandbox {
    pub fn new(credentials: Credentials) -> Self {
        Self {
            inner: Arc::new(Inner {
                credentials,
                store: Mutex::new(store::Store::default()),
                tokens: Mutex::new(auth::Tokens::default()),
            }),
        }
    }

    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The platform's routes, to be nested under a prefix (the relay uses `/sandbox-pa`).
    pub fn router(&self) -> Router {
        let flow = Router::new()
            .route("/v1/flows", post(flows::submit))
            .route("/v1/flows/search", post(reading::search))
            .route("/v1/flows/{flow_id}", get(reading::get_flow))
            .route("/v1/healthcheck", get(reading::healthcheck))
            .layer(axum::extract::DefaultBodyLimit::max(
                check::MAX_FILE + 64 * 1024,
            ));
        let directory = Router::new()
            .route("/v1/siren/{code}", get(directory::siren))
            .route("/v1/directory-line/search", post(directory::lines))
            .route("/v1/healthcheck", get(reading::healthcheck));
        Router::new()
            .nest("/afnor-flow", flow)
            .nest("/afnor-directory", directory)
            .route("/token", post(auth::token))
            .route(
                "/control/flows/{flow_id}/status",
                post(lifecycle::control_status),
            )
            .route("/control/outage", post(reading::control_outage))
            .route("/", get(page::index))
            .with_state(self.clone())
    }

    /// Every flow, oldest first, as the French page lists them (tests read them too).
    pub fn flows(&self) -> Vec<FlowView> {
        self.store().views()
    }

    /// The file flow `flow_id` carried (a Factur-X, a CDAR).
    pub fn file(&self, flow_id: &str) -> Option<Vec<u8>> {
        self.store().find(flow_id).map(|f| f.file.clone())
    }

    /// While `down`, the Flow and Directory services answer 503 (a platform outage).
    pub fn set_down(&self, down: bool) {
        self.store().down = down;
    }

    fn store(&self) -> std::sync::MutexGuard<'_, store::Store> {
        self.inner.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::thread_rng().fill(buf.as_mut_slice());
    hex::encode(buf)
}
