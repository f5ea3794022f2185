//! Writing ledger entries, inside the caller's transaction.
//!
//! A credit is written in the transaction that creates its source (a certificate, an external
//! record), and a reversal in the transaction that revokes or reverses it, so the ledger can
//! never disagree with its sources. The unique index on (kind, source) makes a retried write a
//! no-op instead of a double credit.

use chrono::{DateTime, Utc};
use penkom_storage::entities::{jp_ledger_entry, jp_requirement};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::policy::{self, Requirement};

pub const CERTIFICATE: &str = "certificate";
pub const CERTIFICATE_REVERSAL: &str = "certificate_reversal";
pub const EXTERNAL: &str = "external";
pub const EXTERNAL_REVERSAL: &str = "external_reversal";

/// The reversal kind of a credit kind.
pub fn reversal_of(kind: &str) -> &'static str {
    if kind == EXTERNAL { EXTERNAL_REVERSAL } else { CERTIFICATE_REVERSAL }
}

/// Every requirement row an administrator configured.
pub async fn configured<C: ConnectionTrait>(db: &C) -> Result<Vec<Requirement>, DbErr> {
    Ok(jp_requirement::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|r| Requirement {
            employment_type: r.employment_type,
            from_year: r.from_year,
            target: r.target_hundredths,
            cap: r.cap_hundredths,
            record_above_cap: r.record_above_cap,
            configured: true,
        })
        .collect())
}

/// The sum of a person's entries in `year`.
pub async fn total<C: ConnectionTrait>(db: &C, person: Uuid, year: i32) -> Result<i64, DbErr> {
    let amounts: Vec<i64> = jp_ledger_entry::Entity::find()
        .select_only()
        .column(jp_ledger_entry::Column::JpHundredths)
        .filter(jp_ledger_entry::Column::PersonId.eq(person))
        .filter(jp_ledger_entry::Column::Year.eq(year))
        .into_tuple()
        .all(db)
        .await?;
    Ok(amounts.iter().sum())
}

/// A credit to write.
pub struct Credit<'a> {
    pub person: Uuid,
    pub employment_type: Option<&'a str>,
    pub year: i32,
    pub kind: &'static str,
    pub source_id: Uuid,
    pub amount: i64,
    pub at: DateTime<Utc>,
    pub by: Option<Uuid>,
    pub note: Option<String>,
}

/// Writes a credit (limited by a cap that stops recording). Returns false if this source was
/// already credited.
pub async fn credit<C: ConnectionTrait>(db: &C, c: Credit<'_>) -> Result<bool, DbErr> {
    // The cap depends on what is already recorded this year: two credits for one person at once
    // (an external record and a certificate, on two nodes) must not both see the old total. The
    // log's lock queues every ledger write, so it covers this too.
    record_log::lock(db).await?;
    let requirement = match c.employment_type {
        Some(t) => policy::effective(&configured(db).await?, t, c.year),
        None => None,
    };
    let written = match requirement {
        Some(r) => r.recordable(total(db, c.person, c.year).await?, c.amount),
        None => c.amount,
    };
    let note = match (c.note, written < c.amount) {
        (note, true) => Some(format!(
            "{}dibatasi: hanya {} dari {} JP dicatat karena batas tahunan",
            note.map(|n| format!("{n}; ")).unwrap_or_default(),
            penkom_core::Jp::format_hundredths(written),
            penkom_core::Jp::format_hundredths(c.amount)
        )),
        (note, false) => note,
    };
    insert(db, c.person, c.year, c.kind, c.source_id, written, c.amount, note, c.at, c.by).await
}

/// Writes the reversal of the `kind` credit of `source_id`: the negative of what it credited, in
/// its year. Returns false if there was nothing to reverse or it was already reversed.
pub async fn reverse<C: ConnectionTrait>(
    db: &C,
    kind: &'static str,
    source_id: Uuid,
    at: DateTime<Utc>,
    by: Option<Uuid>,
    note: &str,
) -> Result<bool, DbErr> {
    record_log::lock(db).await?;
    let Some(original) = jp_ledger_entry::Entity::find()
        .filter(jp_ledger_entry::Column::Kind.eq(kind))
        .filter(jp_ledger_entry::Column::SourceId.eq(source_id))
        .one(db)
        .await?
    else {
        return Ok(false);
    };
    insert(
        db,
        original.person_id,
        original.year,
        reversal_of(kind),
        source_id,
        -original.jp_hundredths,
        original.source_jp_hundredths,
        Some(note.to_string()),
        at,
        by,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn insert<C: ConnectionTrait>(
    db: &C,
    person: Uuid,
    year: i32,
    kind: &str,
    source_id: Uuid,
    amount: i64,
    source_amount: i64,
    note: Option<String>,
    at: DateTime<Utc>,
    by: Option<Uuid>,
) -> Result<bool, DbErr> {
    // Whole seconds: the digest the log commits to states the time at that precision, and a
    // database that keeps less than nanoseconds must hand back the same value.
    let at = penkom_core::clock::whole_seconds(at);
    let row = jp_ledger_entry::Model {
        id: Uuid::now_v7(),
        person_id: person,
        year,
        kind: kind.to_string(),
        source_id,
        jp_hundredths: amount,
        source_jp_hundredths: source_amount,
        note,
        recorded_at: at,
        recorded_by: by,
    };
    let digest = record_log::digest::ledger_entry(&row);
    let active = jp_ledger_entry::ActiveModel {
        id: Set(row.id),
        person_id: Set(person),
        year: Set(year),
        kind: Set(row.kind.clone()),
        source_id: Set(source_id),
        jp_hundredths: Set(amount),
        source_jp_hundredths: Set(source_amount),
        note: Set(row.note.clone()),
        recorded_at: Set(at),
        recorded_by: Set(by),
    };
    let inserted = jp_ledger_entry::Entity::insert(active)
        .on_conflict_do_nothing_on([jp_ledger_entry::Column::Kind, jp_ledger_entry::Column::SourceId])
        .exec(db)
        .await?;
    if !matches!(inserted, sea_orm::TryInsertResult::Inserted(_)) {
        return Ok(false);
    }
    record_log::append(db, at, record_log::event::LEDGER, row.id, &digest).await?;
    crate::balance::add(db, person, year, amount).await?;
    Ok(true)
}
