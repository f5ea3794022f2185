//! The tamper-evident log of issues and revocations: a SHA-256 hash chain.
//!
//! Each entry commits to the hash of the previous entry and to the hash of the document the
//! event produced (the signed credential as stored, or the revocation record). Editing, removing
//! or reordering any entry, or editing a certificate row behind the log's back, changes a hash
//! that a later entry or the published, signed head has already fixed. The log holds hashes and
//! random ids only, no names or NIPs, so publishing its head (or all of it) discloses nothing
//! about people.

use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    /// RFC 3339, UTC, seconds.
    pub at: String,
    /// `issue` or `revoke`.
    pub event: String,
    pub certificate_id: Uuid,
    pub document_hash: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The hash of an entry: SHA-256 of the RFC 8785 JSON of every field but the hash itself.
pub fn entry_hash(
    seq: i64,
    at: &str,
    event: &str,
    certificate_id: Uuid,
    document_hash: &str,
    prev_hash: &str,
) -> String {
    let fields = json!({
        "seq": seq, "at": at, "event": event, "certificate_id": certificate_id,
        "document_hash": document_hash, "prev_hash": prev_hash,
    });
    sha256_hex(serde_json_canonicalizer::to_string(&fields).unwrap_or_default().as_bytes())
}

/// The hash of a revocation record, as the `revoke` entry commits to it.
pub fn revocation_hash(certificate_id: Uuid, revoked_at: &str, reason: &str) -> String {
    let record = json!({"certificate_id": certificate_id, "revoked_at": revoked_at, "reason": reason});
    sha256_hex(serde_json_canonicalizer::to_string(&record).unwrap_or_default().as_bytes())
}

/// Where and why the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("entry {seq}: {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

/// Checks that `entries` (in `seq` order) form an unbroken chain from the genesis. Returns the
/// head (last entry hash) and length.
pub fn check_chain<'a>(entries: impl IntoIterator<Item = &'a LogEntry>) -> Result<(String, i64), Broken> {
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    for e in entries {
        let broken = |reason: &str| Broken { seq: e.seq, reason: reason.to_string() };
        if e.seq != expected_seq {
            return Err(Broken {
                seq: expected_seq,
                reason: format!("missing; found entry {} instead", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Err(broken("does not link to the entry before it"));
        }
        if entry_hash(e.seq, &e.at, &e.event, e.certificate_id, &e.document_hash, &e.prev_hash)
            != e.entry_hash
        {
            return Err(broken("its contents do not match its hash"));
        }
        prev = e.entry_hash.clone();
        expected_seq += 1;
    }
    Ok((prev, expected_seq - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<LogEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let id = Uuid::from_u128(seq as u128);
                let doc = sha256_hex(format!("doc {seq}").as_bytes());
                let at = format!("2026-12-01T00:00:{seq:02}Z");
                let hash = entry_hash(seq, &at, "issue", id, &doc, &prev);
                let e = LogEntry {
                    seq,
                    at,
                    event: "issue".into(),
                    certificate_id: id,
                    document_hash: doc,
                    prev_hash: prev.clone(),
                    entry_hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_checks_and_any_edit_is_found_at_its_entry() {
        let entries = chain(5);
        let (head, len) = check_chain(&entries).unwrap();
        assert_eq!((head.as_str(), len), (entries[4].entry_hash.as_str(), 5));
        assert_eq!(check_chain(&[]).unwrap(), (GENESIS.to_string(), 0));

        let mut edited = entries.clone();
        edited[2].document_hash = sha256_hex(b"forged");
        assert_eq!(check_chain(&edited).unwrap_err().seq, 3);

        let mut rehashed = entries.clone();
        let e = &mut rehashed[2];
        e.event = "revoke".into();
        e.entry_hash = entry_hash(e.seq, &e.at, &e.event, e.certificate_id, &e.document_hash, &e.prev_hash);
        assert_eq!(check_chain(&rehashed).unwrap_err().seq, 4, "the next entry no longer links");

        let mut removed = entries.clone();
        removed.remove(1);
        assert_eq!(check_chain(&removed).unwrap_err().seq, 2);
    }
}
