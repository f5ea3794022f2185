//! The log in the database: appending inside the transaction that made the change, and reading
//! the entries of given records or of the whole log.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use penkom_storage::entities::record_log;
use penkom_storage::serialize_on;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::chain::{GENESIS, LogEntry, entry_hash};
use crate::digest;

/// The advisory lock key that queues every write to the log on PostgreSQL ("CERT" in ASCII, its
/// name from when only certificates were logged). SQLite has a single writer anyway.
///
/// A transaction that appends takes it before any other lock, so two writers never wait for
/// each other in opposite orders: certificate issuance takes it first of all (its numbering
/// needs the same queue), ledger writes and external records take it before anything else.
pub const LOG_LOCK: i64 = 0x4345_5254;

/// Takes the log's lock until the end of `txn`. Taking it again in the same transaction is
/// free (advisory transaction locks are re-entrant).
pub async fn lock<C: ConnectionTrait>(txn: &C) -> Result<(), DbErr> {
    serialize_on(txn, LOG_LOCK).await
}

/// Appends an entry about `subject_id`, committing to `document_hash`. Runs inside the
/// transaction that made the change, under the log's lock, so the entry exists exactly when the
/// change does and entries never race for a number.
pub async fn append<C: ConnectionTrait>(
    txn: &C,
    now: DateTime<Utc>,
    event: &str,
    subject_id: Uuid,
    document_hash: &str,
) -> Result<LogEntry, DbErr> {
    lock(txn).await?;
    let last = record_log::Entity::find().order_by_desc(record_log::Column::Seq).one(txn).await?;
    let (seq, prev) = last.map_or((1, GENESIS.to_string()), |l| (l.seq + 1, l.entry_hash));
    let at = digest::time(now);
    let hash = entry_hash(seq, &at, event, subject_id, document_hash, &prev);
    let row = record_log::ActiveModel {
        seq: Set(seq),
        at: Set(at),
        event: Set(event.to_string()),
        subject_id: Set(subject_id),
        document_hash: Set(document_hash.to_string()),
        prev_hash: Set(prev),
        entry_hash: Set(hash),
    }
    .insert(txn)
    .await?;
    Ok(entry(row))
}

pub(crate) fn entry(m: record_log::Model) -> LogEntry {
    LogEntry {
        seq: m.seq,
        at: m.at,
        event: m.event,
        subject_id: m.subject_id,
        document_hash: m.document_hash,
        prev_hash: m.prev_hash,
        entry_hash: m.entry_hash,
    }
}

/// Every entry, in order.
pub async fn all<C: ConnectionTrait>(db: &C) -> Result<Vec<LogEntry>, DbErr> {
    Ok(record_log::Entity::find()
        .order_by_asc(record_log::Column::Seq)
        .all(db)
        .await?
        .into_iter()
        .map(entry)
        .collect())
}

/// The last entry's sequence number and hash (0 and the genesis for an empty log).
pub async fn head<C: ConnectionTrait>(db: &C) -> Result<(i64, String), DbErr> {
    let last = record_log::Entity::find().order_by_desc(record_log::Column::Seq).one(db).await?;
    Ok(last.map_or((0, GENESIS.to_string()), |l| (l.seq, l.entry_hash)))
}

/// The entries about each of `subjects`, in order; a subject without entries is absent.
pub async fn of_subjects<C: ConnectionTrait>(
    db: &C,
    subjects: &[Uuid],
) -> Result<HashMap<Uuid, Vec<LogEntry>>, DbErr> {
    let mut out: HashMap<Uuid, Vec<LogEntry>> = HashMap::new();
    // One bind parameter per id, and databases cap those.
    for chunk in subjects.chunks(1000) {
        let rows = record_log::Entity::find()
            .filter(record_log::Column::SubjectId.is_in(chunk.to_vec()))
            .order_by_asc(record_log::Column::Seq)
            .all(db)
            .await?;
        for row in rows {
            out.entry(row.subject_id).or_default().push(entry(row));
        }
    }
    Ok(out)
}
