//! Each person's yearly balance, and checking ledger entries against the record log.
//!
//! An entry counts only if the log holds an intact `ledger` entry committing to its digest: an
//! entry edited in place, or one inserted behind the service's back, does not. The balance (sum
//! and count of the year's entries) is written with every entry and sealed, so reports read one
//! row per person instead of every entry; a balance whose seal fails is not believed, and the
//! person's total is recomputed from their logged entries instead.

use penkom_storage::entities::{jp_balance, jp_ledger_entry};
use record_log::{Logged, digest, event};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, sea_query::OnConflict,
};
use uuid::Uuid;

/// A year's total as the ledger can vouch for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verified {
    /// Hundredths of a JP, summed over the entries that the log vouches for.
    pub total: i64,
    pub entries: i64,
    /// Entries found that the log does not vouch for (edited or forged); not counted.
    pub unlogged: i64,
}

/// Whether a balance row's seal matches its fields.
pub fn sealed(b: &jp_balance::Model) -> bool {
    digest::balance_seal(b.person_id, b.year, b.total_hundredths, b.entries) == b.seal
}

/// Whether `row` is vouched for by its log entries.
pub fn logged(row: &jp_ledger_entry::Model, log: &[record_log::LogEntry]) -> bool {
    Logged(log).commits(event::LEDGER, &digest::ledger_entry(row))
}

/// The entries of `person` in `year`, each with whether the log vouches for it.
pub async fn checked_entries<C: ConnectionTrait>(
    db: &C,
    person: Uuid,
    year: i32,
) -> Result<Vec<(jp_ledger_entry::Model, bool)>, DbErr> {
    let rows = jp_ledger_entry::Entity::find()
        .filter(jp_ledger_entry::Column::PersonId.eq(person))
        .filter(jp_ledger_entry::Column::Year.eq(year))
        .all(db)
        .await?;
    check(db, rows).await
}

/// `rows`, each with whether the log vouches for it.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    rows: Vec<jp_ledger_entry::Model>,
) -> Result<Vec<(jp_ledger_entry::Model, bool)>, DbErr> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let log = record_log::store::of_subjects(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let ok = logged(&r, log.get(&r.id).map_or(&[][..], Vec::as_slice));
            (r, ok)
        })
        .collect())
}

/// The sum of what the log vouches for among `entries`.
pub fn verified<'a>(entries: impl IntoIterator<Item = &'a (jp_ledger_entry::Model, bool)>) -> Verified {
    entries.into_iter().fold(Verified::default(), |mut v, (row, ok)| {
        if *ok {
            v.total += row.jp_hundredths;
            v.entries += 1;
        } else {
            v.unlogged += 1;
        }
        v
    })
}

/// Adds an entry of `amount` to `person`'s balance for `year`, inside the transaction that
/// wrote the entry (under the log's lock, so balances never race). A balance whose seal fails
/// is rebuilt from the logged entries first (the new entry is already among them), rather than
/// carried forward: sealing an edited total anew would launder the edit.
pub(crate) async fn add<C: ConnectionTrait>(
    db: &C,
    person: Uuid,
    year: i32,
    amount: i64,
) -> Result<(), DbErr> {
    let current = jp_balance::Entity::find_by_id((person, year)).one(db).await?;
    let (total, entries) = match current {
        Some(b) if sealed(&b) => (b.total_hundredths + amount, b.entries + 1),
        existing => {
            if existing.is_some() {
                tracing::warn!(person = %person, year, "a JP balance failed its seal; rebuilt from the logged entries");
            }
            let v = verified(&checked_entries(db, person, year).await?);
            (v.total, v.entries)
        }
    };
    let row = jp_balance::ActiveModel {
        person_id: Set(person),
        year: Set(year),
        total_hundredths: Set(total),
        entries: Set(entries),
        seal: Set(digest::balance_seal(person, year, total, entries)),
    };
    jp_balance::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([jp_balance::Column::PersonId, jp_balance::Column::Year])
                .update_columns([
                    jp_balance::Column::TotalHundredths,
                    jp_balance::Column::Entries,
                    jp_balance::Column::Seal,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
