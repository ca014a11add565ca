//! A database that exists for one test: a SQLite file in the temporary folder, or a PostgreSQL
//! database on 127.0.0.1:5432, removed (files) or dropped (database) when the test ends.

use relay::db::Db;

use super::{Backend, PG_ADMIN};

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Database(String),
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        let name = format!(
            "relay_test_{}",
            stripe_sandbox::random_id(12).to_lowercase()
        );
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{name}.db"));
                TestDb {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::File(path),
                }
            }
            Backend::Postgres => {
                let admin = Db::connect(PG_ADMIN)
                    .await
                    .expect("PostgreSQL on 127.0.0.1:5432 (start it: see README)");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&admin.pool)
                    .await
                    .unwrap();
                admin.pool.close().await;
                TestDb {
                    url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
                    cleanup: Cleanup::Database(name),
                }
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database(name) => {
                let name = name.clone();
                // Drop runs outside async context: use a short-lived runtime on its own thread.
                let _ = std::thread::spawn(move || {
                    tokio::runtime::Runtime::new().unwrap().block_on(async {
                        if let Ok(admin) = Db::connect(PG_ADMIN).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&admin.pool)
                            .await;
                        }
                    })
                })
                .join();
            }
        }
    }
}
