//! The ledger's part of `penkom audit`: every entry, balance and external record checked
//! against the record log, every problem named.

use std::collections::HashMap;

use penkom_storage::entities::{external_training, jp_balance, jp_ledger_entry};
use record_log::{Broken, LogEntry, Logged, digest, event};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::balance;

/// External records read at a time: each may carry an evidence file of up to 10 MiB.
const EXTERNAL_PAGE: u64 = 20;

/// Where a problem with a record shows: its entry of `event` if the log has one, else the
/// place after the last entry (it should have been logged and was not).
fn at(entries: &[LogEntry], event_name: &str, next: i64) -> i64 {
    entries.iter().find(|e| e.event == event_name).map_or(next, |e| e.seq)
}

/// Every problem with the ledger's rows, read through `db` (one snapshot), against `log`.
pub async fn audit<C: ConnectionTrait>(db: &C, log: &[LogEntry]) -> Result<Vec<Broken>, DbErr> {
    let index = record_log::by_subject(log);
    let owned = |id: &Uuid| -> &[LogEntry] { index.get(id).map_or(&[][..], Vec::as_slice) };
    let next = log.len() as i64 + 1;
    let mut broken = Vec::new();

    let entries = jp_ledger_entry::Entity::find().order_by_asc(jp_ledger_entry::Column::Id).all(db).await?;
    let mut sums: HashMap<(Uuid, i32), (i64, i64, i64)> = HashMap::new();
    let mut rows = std::collections::HashSet::new();
    for row in &entries {
        rows.insert(row.id);
        let mine = owned(&row.id);
        let ok = balance::logged(row, mine);
        if ok {
            let s = sums.entry((row.person_id, row.year)).or_insert((0, 0, 0));
            s.0 += row.jp_hundredths;
            s.1 += 1;
            s.2 = s.2.max(at(mine, event::LEDGER, next));
        } else if Logged(mine).mentions(event::LEDGER) {
            broken.push(Broken::new(
                at(mine, event::LEDGER, next),
                format!("ledger entry {} differs from what was logged", row.id),
            ));
        } else {
            broken.push(Broken::new(next, format!("ledger entry {} was never logged", row.id)));
        }
    }
    for e in log.iter().filter(|e| e.event == event::LEDGER) {
        if !rows.contains(&e.subject_id) {
            broken.push(Broken::new(e.seq, format!("ledger entry {} no longer exists", e.subject_id)));
        }
    }

    for b in jp_balance::Entity::find().all(db).await? {
        let expected = sums.remove(&(b.person_id, b.year));
        let seq = expected.map_or(next, |s| s.2);
        let what = format!("the JP balance of person {} for {}", b.person_id, b.year);
        if !balance::sealed(&b) {
            broken.push(Broken::new(seq, format!("{what} was edited (its seal fails)")));
        } else if expected.map(|s| (s.0, s.1)) != Some((b.total_hundredths, b.entries)) {
            broken.push(Broken::new(seq, format!("{what} does not add up to its logged entries")));
        }
    }
    for ((person, year), s) in sums {
        broken.push(Broken::new(s.2, format!("the JP balance of person {person} for {year} is missing")));
    }

    let mut records = std::collections::HashSet::new();
    let mut after = Uuid::nil();
    loop {
        let page = external_training::Entity::find()
            .filter(external_training::Column::Id.gt(after))
            .order_by_asc(external_training::Column::Id)
            .limit(EXTERNAL_PAGE)
            .all(db)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for row in &page {
            records.insert(row.id);
            broken.extend(external_problems(row, owned(&row.id), next));
        }
    }
    for e in log.iter().filter(|e| e.event == event::EXTERNAL) {
        if !records.contains(&e.subject_id) {
            broken.push(Broken::new(e.seq, format!("external record {} no longer exists", e.subject_id)));
        }
    }
    Ok(broken)
}

/// What is wrong with one external record, against its log entries.
fn external_problems(row: &external_training::Model, mine: &[LogEntry], next: i64) -> Vec<Broken> {
    let logged = Logged(mine);
    let mut broken = Vec::new();
    let mut check = |event_name: &str, stated: Option<String>, what: &str| match stated {
        Some(d) if logged.commits(event_name, &d) => {}
        Some(_) if logged.mentions(event_name) => broken.push(Broken::new(
            at(mine, event_name, next),
            format!("external record {}: its {what} differs from what was logged", row.id),
        )),
        Some(_) => {
            broken.push(Broken::new(next, format!("external record {}: its {what} was never logged", row.id)))
        }
        None if logged.mentions(event_name) => broken.push(Broken::new(
            at(mine, event_name, next),
            format!("external record {}: its logged {what} was erased", row.id),
        )),
        None => {}
    };
    check(event::EXTERNAL, Some(digest::external(row)), "record");
    check(event::EVIDENCE, digest::evidence_of(row), "evidence");
    check(event::EXTERNAL_REVERSE, digest::external_reversal_of(row), "reversal");
    let file_matches = match (&row.evidence, &row.evidence_sha256) {
        (Some(bytes), Some(sha)) => &record_log::chain::sha256_hex(bytes) == sha,
        (None, None) => true,
        _ => false,
    };
    if !file_matches {
        broken.push(Broken::new(
            at(mine, event::EVIDENCE, next),
            format!("external record {}: its evidence file does not match its hash", row.id),
        ));
    }
    broken
}
