//! Starting write transactions that behave the same on both databases.

use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Begins a transaction that will write.
///
/// On SQLite this is `BEGIN IMMEDIATE`: it takes the write lock up front. A deferred
/// transaction that first reads and then writes can fail at its first write with
/// `SQLITE_BUSY` if another connection committed in between, and the busy timeout cannot help
/// with that case; taking the lock first makes concurrent writers simply queue. PostgreSQL
/// needs nothing special: row locks and constraints resolve conflicts there.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let sqlite_transaction_mode = match db.get_database_backend() {
        DatabaseBackend::Sqlite => Some(SqliteTransactionMode::Immediate),
        _ => None,
    };
    db.begin_with_options(TransactionOptions { sqlite_transaction_mode, ..Default::default() }).await
}

/// Serialises one kind of write across every API node for the rest of transaction `txn` (any
/// connection that is a transaction; outside one the lock would end at once).
///
/// On PostgreSQL this takes a transaction-scoped advisory lock named by `key`, released at
/// commit or rollback. Bulk operations that read, then insert many rows (a people import) use
/// it so that two concurrent runs queue instead of both inserting and one failing on a unique
/// constraint. On SQLite, `BEGIN IMMEDIATE` (see [`begin_write`]) already serialises writers.
pub async fn serialize_on<C: ConnectionTrait>(txn: &C, key: i64) -> Result<(), DbErr> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}
