//! Recognising database errors that are part of normal operation rather than faults.

use sea_orm::{DbErr, SqlErr};

/// Whether `err` is a unique-constraint violation, e.g. two people with the same e-mail.
/// Callers turn this into a 409 rather than a 500.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether `err` says the database is momentarily busy: SQLite's write lock was held longer than
/// the busy timeout, or PostgreSQL aborted a statement on a lock or serialization conflict.
pub fn is_busy(err: &DbErr) -> bool {
    let text = err.to_string();
    ["database is locked", "database table is locked", "could not serialize access", "deadlock detected"]
        .iter()
        .any(|needle| text.contains(needle))
}
