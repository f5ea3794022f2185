//! Recognising database errors that are part of normal operation rather than faults.

use sea_orm::sqlx;
use sea_orm::{DbErr, RuntimeErr, SqlErr};

/// Whether `err` is a unique-constraint violation, e.g. two people with the same e-mail.
/// Callers turn this into a 409 rather than a 500.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether `err` is a momentary condition of the database or of the way to it, not a fault of
/// the request or of Penkom: the same request may succeed a moment later. Callers answer 503
/// with `Retry-After` and may retry what changes nothing.
///
/// - No connection to be had: the pool timed out, was closed, or a new connection failed.
/// - The connection broke under a statement: an I/O error (reset, broken pipe, end of file),
///   TLS or protocol trouble, or PostgreSQL's own word for it. A failover, a restart of
///   PostgreSQL or `pg_terminate_backend` ends the connections in use with SQLSTATE class 57P
///   (operator intervention) or 08 (connection exception); the statement after it then meets a
///   closed socket.
/// - The database refused for now: too many connections (53300), a statement timeout (57014),
///   a lock not available (55P03), a serialization failure or a deadlock (40001, 40P01), or
///   SQLite's write lock held longer
///   than the busy timeout.
///
/// A transaction that failed this way was rolled back as a whole (PostgreSQL aborts it, and a
/// dropped transaction rolls back), so answering "try again" never leaves half a write.
pub fn is_transient(err: &DbErr) -> bool {
    let classified = match err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx_transient(e),
        _ => false,
    };
    classified || sqlite_busy(err)
}

fn sqlx_transient(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| transient_sqlstate(&code)),
        _ => false,
    }
}

/// PostgreSQL's SQLSTATEs for conditions that pass (see [`is_transient`]).
fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("57P")
        || matches!(code, "57014" | "53300" | "55P03" | "40001" | "40P01")
}

/// SQLite reports a held lock as text only (sqlx gives its result code as a string too, but
/// sea-orm may have wrapped it by then).
fn sqlite_busy(err: &DbErr) -> bool {
    let text = err.to_string();
    ["database is locked", "database table is locked"].iter().any(|needle| text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn query(e: sqlx::Error) -> DbErr {
        DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn broken_connections_and_refusals_for_now_are_transient_and_faults_are_not() {
        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        assert!(is_transient(&query(sqlx::Error::Io(reset))));
        assert!(is_transient(&query(sqlx::Error::PoolTimedOut)));
        assert!(is_transient(&DbErr::Exec(RuntimeErr::SqlxError(Arc::new(sqlx::Error::Protocol(
            "eof".into()
        ))))));
        assert!(is_transient(&DbErr::Conn(RuntimeErr::Internal("refused".into()))));
        assert!(is_transient(&DbErr::Custom("error returned from database: database is locked".into())));
        assert!(!is_transient(&query(sqlx::Error::RowNotFound)));
        assert!(!is_transient(&DbErr::Custom("syntax error at or near".into())));
        assert!(!is_transient(&DbErr::RecordNotFound("x".into())));
        for code in ["57P01", "57P02", "57P03", "08006", "08003", "40001", "40P01", "53300", "55P03", "57014"]
        {
            assert!(transient_sqlstate(code), "{code}");
        }
        for code in ["23505", "22P02", "42601", "22021", "P0001"] {
            assert!(!transient_sqlstate(code), "{code}");
        }
    }
}
