//! What the unit tests share: a migrated SQLite file for one test, in the temporary folder
//! (`remove` closes it and deletes it with its WAL files), the monthly one-off session the
//! relay records when it creates one at Stripe, and the paid event that settles it.

use std::path::{Path, PathBuf};

use super::Db;
use crate::core::Timestamp;
use crate::domain::{ClientId, PaymentOrigin, PlanId, SessionId};

pub struct ScratchDb {
    pub db: Db,
    path: PathBuf,
}

impl ScratchDb {
    pub async fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("{name}_{}.db", std::process::id()));
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        db.migrate().await.unwrap();
        Self { db, path }
    }

    pub async fn remove(self) {
        self.db.pool.close().await;
        remove_files(&self.path);
    }
}

/// Deletes a SQLite file and its WAL files, closed first by the caller.
pub fn remove_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Records `cs_test_<name>` for `client`, plan mensuel (49 €, paid once), as the checkout route
/// records the sessions it creates.
pub async fn record_monthly_session(
    db: &Db,
    name: &str,
    client: &ClientId,
    origin: PaymentOrigin,
    now: Timestamp,
) {
    db.record_new_session(
        &SessionId::parse(&format!("cs_test_{name}")).unwrap(),
        client,
        &PlanId::parse("mensuel").unwrap(),
        4900,
        false,
        origin,
        now,
    )
    .await
    .unwrap();
}

/// The `checkout.session.completed` event `event` paying `cs_test_<name>` for `client`.
pub fn paid_monthly_event(name: &str, event: &str, client: &str) -> String {
    stripe_sandbox::fixtures::paid_checkout_event(
        event,
        &format!("cs_test_{name}"),
        client,
        "mensuel",
        4900,
    )
}
