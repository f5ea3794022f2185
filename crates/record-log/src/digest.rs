//! The digest of each kind of record the log commits to, pure.
//!
//! A digest is SHA-256 of the RFC 8785 JSON of the record's columns, so it is the same on both
//! databases and in every process. Each one covers every column that an answer shows or a
//! report uses; the columns that change after writing (a certificate's revocation, an external
//! record's evidence and reversal) are covered by the later event that changed them. Times are
//! hashed as RFC 3339 text to the second, and written to the database at that precision.

use chrono::{DateTime, SecondsFormat, Utc};
use penkom_storage::entities::{certificate, external_training, jp_ledger_entry};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::chain::sha256_hex;

/// RFC 3339 in UTC, to the second: the form every digest hashes a time in.
pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// SHA-256 of the RFC 8785 form of `value`.
pub fn of(value: &Value) -> String {
    // Canonicalising a `Value` built here cannot fail: it holds no non-finite numbers.
    sha256_hex(&penkom_core::canonical_json::to_vec(value).unwrap_or_default())
}

/// An issued certificate: every column but the revocation ones, with the signed document by
/// its hash. The holder, course, version, year and completion time are here, so a row moved to
/// another person or year no longer matches what was logged.
pub fn certificate(row: &certificate::Model) -> String {
    of(&json!({
        "record": "certificate",
        "id": row.id,
        "completion_id": row.completion_id,
        "person_id": row.person_id,
        "course_id": row.course_id,
        "version_id": row.version_id,
        "number": row.number,
        "year": row.year,
        "seq": row.seq,
        "code": row.code,
        "status_index": row.status_index,
        "jp": row.jp,
        "completed_at": time(row.completed_at),
        "issued_at": time(row.issued_at),
        "kid": row.kid,
        "credential_sha256": sha256_hex(row.credential.as_bytes()),
        "test_data": row.test_data,
    }))
}

/// A certificate's revocation.
pub fn revocation(certificate_id: Uuid, revoked_at: &str, reason: &str) -> String {
    of(&json!({"certificate_id": certificate_id, "revoked_at": revoked_at, "reason": reason}))
}

/// The revocation a certificate row states, if it states one.
pub fn revocation_of(row: &certificate::Model) -> Option<String> {
    row.revoked_at.map(|at| revocation(row.id, &time(at), row.revocation_reason.as_deref().unwrap_or("")))
}

/// A JP ledger entry, every column.
pub fn ledger_entry(row: &jp_ledger_entry::Model) -> String {
    of(&json!({
        "record": "ledger_entry",
        "id": row.id,
        "person_id": row.person_id,
        "year": row.year,
        "kind": row.kind,
        "source_id": row.source_id,
        "jp_hundredths": row.jp_hundredths,
        "source_jp_hundredths": row.source_jp_hundredths,
        "note": row.note,
        "recorded_at": time(row.recorded_at),
        "recorded_by": row.recorded_by,
    }))
}

/// An external training record as recorded: everything but its evidence and reversal.
pub fn external(row: &external_training::Model) -> String {
    of(&json!({
        "record": "external_training",
        "id": row.id,
        "person_id": row.person_id,
        "course_name": row.course_name,
        "organiser": row.organiser,
        "start_date": row.start_date.to_string(),
        "end_date": row.end_date.to_string(),
        "jp": row.jp,
        "certificate_number": row.certificate_number,
        "training_type": row.training_type,
        "reason": row.reason,
        "recorded_by": row.recorded_by,
        "recorded_at": time(row.recorded_at),
    }))
}

/// The evidence attached to an external record, as its row states it (`None` if none is). The
/// file itself is covered by its SHA-256, which the row holds and an audit recomputes.
pub fn evidence_of(row: &external_training::Model) -> Option<String> {
    row.evidence_sha256.as_ref().map(|sha| {
        of(&json!({
            "record": "external_evidence",
            "id": row.id,
            "sha256": sha,
            "media_type": row.evidence_type,
            "name": row.evidence_name,
        }))
    })
}

/// The reversal of an external record, as its row states it (`None` if it states none).
pub fn external_reversal_of(row: &external_training::Model) -> Option<String> {
    row.reversed_at.map(|at| {
        of(&json!({
            "record": "external_reversal",
            "id": row.id,
            "reversed_at": time(at),
            "reversed_by": row.reversed_by,
            "reason": row.reversal_reason,
        }))
    })
}

/// The seal of a person's yearly balance. A balance is derived data (the sum of the year's
/// entries, kept so that a report on 100,000 people reads 100,000 rows, not every entry); the
/// seal makes an edit of it visible to every report that reads it, and the audit checks it
/// against the logged entries it sums.
pub fn balance_seal(person_id: Uuid, year: i32, total_hundredths: i64, entries: i64) -> String {
    // A report checks 100,000 seals, so the RFC 8785 text is written out directly rather than
    // built as a `Value` and canonicalised (the test below holds the two equal). Its keys are in
    // RFC 8785 order and every value is ASCII; integers print as RFC 8785 prints them while
    // they stay within 2^53, beyond which the general path takes over.
    const EXACT: i64 = 1 << 53;
    if total_hundredths.abs() >= EXACT || entries.abs() >= EXACT {
        return of(&json!({
            "record": "jp_balance",
            "person_id": person_id,
            "year": year,
            "total_hundredths": total_hundredths,
            "entries": entries,
        }));
    }
    sha256_hex(
        format!(
            r#"{{"entries":{entries},"person_id":"{person_id}","record":"jp_balance","total_hundredths":{total_hundredths},"year":{year}}}"#
        )
        .as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> jp_ledger_entry::Model {
        jp_ledger_entry::Model {
            id: Uuid::from_u128(1),
            person_id: Uuid::from_u128(2),
            year: 2026,
            kind: "certificate".into(),
            source_id: Uuid::from_u128(3),
            jp_hundredths: 200,
            source_jp_hundredths: 200,
            note: None,
            recorded_at: "2026-12-01T01:02:03Z".parse().unwrap(),
            recorded_by: None,
        }
    }

    #[test]
    fn every_column_of_a_ledger_entry_is_covered_and_sub_second_noise_is_not() {
        let base = ledger_entry(&entry());
        type Edit = Box<dyn Fn(&mut jp_ledger_entry::Model)>;
        let edits: Vec<Edit> = vec![
            Box::new(|e| e.id = Uuid::from_u128(9)),
            Box::new(|e| e.person_id = Uuid::from_u128(9)),
            Box::new(|e| e.year = 2025),
            Box::new(|e| e.kind = "external".into()),
            Box::new(|e| e.source_id = Uuid::from_u128(9)),
            Box::new(|e| e.jp_hundredths = 2000),
            Box::new(|e| e.source_jp_hundredths = 2000),
            Box::new(|e| e.note = Some("x".into())),
            Box::new(|e| e.recorded_at = "2026-12-01T01:02:04Z".parse().unwrap()),
            Box::new(|e| e.recorded_by = Some(Uuid::from_u128(9))),
        ];
        for (i, edit) in edits.iter().enumerate() {
            let mut e = entry();
            edit(&mut e);
            assert_ne!(ledger_entry(&e), base, "edit {i} is not covered");
        }
        // A database that keeps microseconds hands back the same second.
        let mut e = entry();
        e.recorded_at += chrono::Duration::microseconds(5);
        assert_eq!(ledger_entry(&e), base);
    }

    #[test]
    fn the_written_out_seal_is_the_canonical_one() {
        let p = Uuid::from_u128(0x0190_a4f2_7c1e_7000_8000_0000_0000_00ff);
        for (year, total, entries) in
            [(2026, 200, 1), (2000, -150, 3), (2100, 0, 0), (2026, 1 << 52, 7), (2026, 1 << 60, 2)]
        {
            let canonical = of(&json!({
                "record": "jp_balance", "person_id": p, "year": year,
                "total_hundredths": total, "entries": entries,
            }));
            assert_eq!(balance_seal(p, year, total, entries), canonical, "{year} {total} {entries}");
        }
    }

    #[test]
    fn a_seal_changes_with_each_of_its_fields() {
        let p = Uuid::from_u128(1);
        let base = balance_seal(p, 2026, 200, 1);
        assert_ne!(balance_seal(Uuid::from_u128(2), 2026, 200, 1), base);
        assert_ne!(balance_seal(p, 2025, 200, 1), base);
        assert_ne!(balance_seal(p, 2026, 2000, 1), base);
        assert_ne!(balance_seal(p, 2026, 200, 2), base);
    }
}
