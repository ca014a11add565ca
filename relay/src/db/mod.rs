//! Storage through sqlx's `Any` driver: SQLite by default (file created if absent, WAL,
//! `synchronous=FULL`), PostgreSQL for several relay instances. One set of queries serves both
//! (`$n` placeholders, `ON CONFLICT`, `RETURNING`); migrations are per backend.

pub mod access;
pub mod avoirs;
pub mod batch;
pub mod clients;
pub mod console;
pub mod disputes;
pub mod events;
pub mod factures;
pub mod journal;
mod json_rows;
pub mod operators;
pub mod pa_statuses;
pub mod payments;
pub mod refunds;
pub mod renewals;
pub mod replacements;
#[cfg(test)]
pub(crate) mod scratch;
pub mod subscriptions;
pub mod totp;
pub mod transmissions;

use std::time::Duration;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};

use crate::status_cache::StatusCache;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(super::placeholder_rows(2, 2, 3), ["$3, $4", "$5, $6"]);
        assert_eq!(super::placeholder_rows(3, 1, 1).join(", "), "$1, $2, $3");
    }

    #[tokio::test]
    async fn the_wal_is_copied_into_the_database_file_in_the_background() {
        let path = std::env::temp_dir().join(format!("wal_checkpoints_{}.db", std::process::id()));
        let db = super::Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (v TEXT)")
            .execute(&db.pool)
            .await
            .unwrap();
        let file_size = || std::fs::metadata(&path).unwrap().len();
        // Well below SQLite's own threshold of 1,000 pages: only a checkpoint moves them.
        sqlx::query(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
             INSERT INTO t SELECT hex(randomblob(2000)) FROM n",
        )
        .execute(&db.pool)
        .await
        .unwrap();
        let before = file_size();
        db.spawn_wal_checkpoints(std::time::Duration::from_millis(20));
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let after = file_size();
        db.pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        assert!(
            after > before + 100 * 4000,
            "the rows reached the database file ({before} → {after} bytes)"
        );
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// What `conn` speaks: statements run inside a transaction have only the connection.
    pub fn of(conn: &sqlx::AnyConnection) -> Self {
        match conn.backend_name() {
            "PostgreSQL" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// One text column of the row `select` (ending in `WHERE … = $1`) finds for `id`; on
/// PostgreSQL the row stays locked until the commit, so that a second relay's writer waits.
pub(crate) async fn locked_text(
    conn: &mut sqlx::AnyConnection,
    select: &'static str,
    id: &str,
) -> Result<Option<String>, sqlx::Error> {
    let lock = match Backend::of(conn) {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("{select}{lock}")))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.get(0)))
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
    /// This process's cached status reads, which its own changes to a client forget at once.
    pub status_cache: StatusCache,
}

/// Creates the SQLite file of `url` if absent, readable by its owner only (SQLite gives its
/// -wal and -shm files the same permissions): it holds every company's payments.
fn create_private_file(url: &str) {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    if path.is_empty() || path == ":memory:" || std::path::Path::new(path).exists() {
        return;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    // If this fails (a folder missing, say), sqlx reports the problem when it opens the file.
    let _ = options.open(path);
}

/// How every pool of the relay connects: at most `connections`, SQLite durable and strict.
fn pool_options(backend: Backend, connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(3))
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    // Durable acknowledgements: WAL with a full sync at every commit.
                    for pragma in [
                        "PRAGMA journal_mode = WAL",
                        "PRAGMA synchronous = FULL",
                        "PRAGMA busy_timeout = 5000",
                        "PRAGMA foreign_keys = ON",
                    ] {
                        sqlx::query(pragma).execute(&mut *conn).await?;
                    }
                }
                Ok(())
            })
        })
}

impl Db {
    /// Opens the database named by `url`. A SQLite file is created if absent.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            Backend::Postgres
        };
        let url = match backend {
            Backend::Sqlite => {
                create_private_file(url);
                let sep = if url.contains('?') { '&' } else { '?' };
                if url.contains("mode=") {
                    url.to_owned()
                } else {
                    format!("{url}{sep}mode=rwc")
                }
            }
            Backend::Postgres => url.to_owned(),
        };
        let connections = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool = pool_options(backend, connections).connect(&url).await?;
        Ok(Self {
            pool,
            backend,
            status_cache: StatusCache::default(),
        })
    }

    /// A pool of its own on the same database with at most `connections`, connected on first
    /// use: made inside another runtime (the writer's), its connections wake that runtime's
    /// thread when the database answers. Each connection is checked (a round trip) when taken,
    /// and replaced if dead.
    pub fn own_pool(&self, connections: u32) -> AnyPool {
        let options = (*self.pool.connect_options()).clone();
        pool_options(self.backend, connections).connect_lazy_with(options)
    }

    fn migrator(&self) -> &'static Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        self.migrator().run(&self.pool).await
    }

    /// Migrations known to this binary that the database has not applied.
    pub async fn pending_migrations(&self) -> Result<Vec<i64>, sqlx::Error> {
        let applied: Vec<i64> =
            match sqlx::query("SELECT version FROM _sqlx_migrations WHERE success = $1")
                .bind(true)
                .fetch_all(&self.pool)
                .await
            {
                Ok(rows) => rows.iter().map(|r| r.get::<i64, _>(0)).collect(),
                Err(sqlx::Error::Database(_)) => Vec::new(),
                Err(e) => return Err(e),
            };
        Ok(self
            .migrator()
            .iter()
            .map(|m| m.version)
            .filter(|v| !applied.contains(v))
            .collect())
    }

    /// SQLite: copies the WAL into the database file every `every`, from a pooled connection
    /// and without blocking the writer (PASSIVE). Otherwise the commit that crosses SQLite's
    /// auto-checkpoint threshold (1,000 pages, several times a second under webhook load) copies
    /// them itself and fsyncs the file, and every webhook waiting on that commit waits too.
    pub fn spawn_wal_checkpoints(&self, every: Duration) {
        if self.backend != Backend::Sqlite {
            return;
        }
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            while !pool.is_closed() {
                tick.tick().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&pool)
                    .await
                {
                    tracing::debug!(error = %e, "background WAL checkpoint failed");
                }
            }
        });
    }

    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}

/// `count` groups of `per_row` numbered placeholders, the first being `$first`, for statements
/// over many rows whose values are all bound: `placeholder_rows(2, 2, 3)` is `["$3, $4", "$5, $6"]`.
/// Only these are ever formatted into SQL.
pub fn placeholder_rows(count: usize, per_row: usize, first: usize) -> Vec<String> {
    (0..count)
        .map(|row| {
            (0..per_row)
                .map(|col| format!("${}", first + row * per_row + col))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .collect()
}
