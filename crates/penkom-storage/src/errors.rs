//! Recognising database errors that are part of normal operation rather than faults.

use sea_orm::{DbErr, SqlErr};

/// Whether `err` is a unique-constraint violation, e.g. two people with the same e-mail.
/// Callers turn this into a 409 rather than a 500.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}
