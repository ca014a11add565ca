//! A migrated SQLite file for one unit test, in the temporary folder; `remove` closes it and
//! deletes it with its WAL files.

use std::path::PathBuf;

use super::Db;

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
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}
