//! Opening the database: SQLite (WAL) for the embedded default, PostgreSQL in production.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The URL of the embedded database file inside the data directory (created if missing).
pub fn sqlite_url_for_dir(dir: &Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("penkom.db").display())
}

/// Connects to `url` with settings suited to each backend.
///
/// SQLite runs in WAL mode so that readers never block the single writer, with a busy timeout
/// so that concurrent writers wait their turn instead of failing with `SQLITE_BUSY`, and with
/// foreign keys switched on (SQLite leaves them off by default). `synchronous = NORMAL` is the
/// setting the SQLite documentation recommends with WAL: a committed transaction survives a
/// process crash, and only a power loss can lose the last commits.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let backend = Backend::of_url(url)
        .ok_or_else(|| DbErr::Custom("database URL must start with sqlite: or postgres://".into()))?;
    let mut opts = ConnectOptions::new(url.to_string());
    opts.max_connections(max_connections)
        .min_connections(0)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false);
    if backend == Backend::Sqlite {
        opts.map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    }
    Database::connect(opts).await
}
