//! The hash chain itself, pure: how an entry is hashed and how a run of entries is checked.
//!
//! Each entry commits to the hash of the entry before it and to the digest of the record its
//! event produced ([`crate::digest`]). Editing, removing or reordering any entry, or editing a
//! record behind the log's back, changes a hash that a later entry or the published, signed
//! head has already fixed. Entries hold hashes and random ids only, no names or NIPs, so
//! publishing the head (or the whole log) discloses nothing about people.

use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an entry records. The names are stored and hashed, so they never change.
pub mod event {
    /// A certificate was issued; the digest is of its row and signed document.
    pub const ISSUE: &str = "issue";
    /// A certificate was revoked; the digest is of the revocation record.
    pub const REVOKE: &str = "revoke";
    /// A JP ledger entry was written (a credit or a reversal).
    pub const LEDGER: &str = "ledger";
    /// External training was recorded.
    pub const EXTERNAL: &str = "external";
    /// The evidence file of an external record was attached.
    pub const EVIDENCE: &str = "evidence";
    /// An external record was reversed.
    pub const EXTERNAL_REVERSE: &str = "external_reverse";
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// 1, 2, 3, … without gaps.
    pub seq: i64,
    /// RFC 3339, UTC, seconds.
    pub at: String,
    /// One of [`event`].
    pub event: String,
    /// The record the event is about: a certificate, a ledger entry or an external record.
    pub subject_id: Uuid,
    pub document_hash: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

impl LogEntry {
    /// Whether the entry's own fields still hash to its `entry_hash`. This does not say that it
    /// links to the entry before it; only a walk of the whole chain ([`check_chain`]) says that.
    pub fn is_intact(&self) -> bool {
        entry_hash(self.seq, &self.at, &self.event, self.subject_id, &self.document_hash, &self.prev_hash)
            == self.entry_hash
    }
}

/// Hex SHA-256 (lowercase).
pub fn sha256_hex(bytes: &[u8]) -> String {
    // Written through a table rather than `hex::encode`, whose iterator of `char`s cost as much
    // as the hash itself: a compliance report checks 100,000 seals.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// The hash of an entry: SHA-256 of the RFC 8785 JSON of every field but the hash itself.
pub fn entry_hash(
    seq: i64,
    at: &str,
    event: &str,
    subject_id: Uuid,
    document_hash: &str,
    prev_hash: &str,
) -> String {
    crate::digest::of(&json!({
        "seq": seq, "at": at, "event": event, "subject_id": subject_id,
        "document_hash": document_hash, "prev_hash": prev_hash,
    }))
}

/// One problem found, at the entry (or the place in the log) where it shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, thiserror::Error)]
#[error("entry {seq}: {reason}")]
pub struct Broken {
    pub seq: i64,
    pub reason: String,
}

impl Broken {
    pub fn new(seq: i64, reason: impl Into<String>) -> Self {
        Self { seq, reason: reason.into() }
    }
}

/// Walks `entries` (in `seq` order) from the genesis and names every break: a missing number,
/// an entry that does not link to the one before it, an entry whose contents no longer match
/// its hash. After a break the walk goes on from the entry as stored, so one edit is reported
/// once (at the edited entry, and at the next one if the edit re-hashed it), not at every later
/// entry. Returns the head (the last entry's hash) and the problems.
pub fn check_chain<'a>(entries: impl IntoIterator<Item = &'a LogEntry>) -> (String, Vec<Broken>) {
    let mut prev = GENESIS.to_string();
    let mut expected_seq = 1;
    let mut broken = Vec::new();
    for e in entries {
        if e.seq != expected_seq {
            broken.push(Broken::new(expected_seq, format!("missing; found entry {} instead", e.seq)));
        } else if e.prev_hash != prev {
            broken.push(Broken::new(e.seq, "does not link to the entry before it"));
        }
        if !e.is_intact() {
            broken.push(Broken::new(e.seq, "its contents do not match its hash"));
        }
        prev = e.entry_hash.clone();
        expected_seq = e.seq + 1;
    }
    (prev, broken)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_hex_is_the_lowercase_hex_of_the_digest() {
        assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_hex(b"x"), hex::encode(Sha256::digest(b"x")));
    }

    pub(crate) fn chain(n: i64) -> Vec<LogEntry> {
        let mut prev = GENESIS.to_string();
        (1..=n)
            .map(|seq| {
                let id = Uuid::from_u128(seq as u128);
                let doc = sha256_hex(format!("doc {seq}").as_bytes());
                let at = format!("2026-12-01T00:00:{seq:02}Z");
                let hash = entry_hash(seq, &at, event::ISSUE, id, &doc, &prev);
                let e = LogEntry {
                    seq,
                    at,
                    event: event::ISSUE.into(),
                    subject_id: id,
                    document_hash: doc,
                    prev_hash: prev.clone(),
                    entry_hash: hash.clone(),
                };
                prev = hash;
                e
            })
            .collect()
    }

    fn seqs(broken: &[Broken]) -> Vec<i64> {
        broken.iter().map(|b| b.seq).collect()
    }

    #[test]
    fn an_intact_chain_checks_and_every_edit_is_named_at_its_entry() {
        let entries = chain(6);
        let (head, broken) = check_chain(&entries);
        assert_eq!(head, entries[5].entry_hash);
        assert!(broken.is_empty());
        assert_eq!(check_chain(&[]), (GENESIS.to_string(), vec![]));

        // Two edits far apart: both are named, and nothing between them.
        let mut edited = entries.clone();
        edited[1].document_hash = sha256_hex(b"forged");
        edited[4].event = event::REVOKE.into();
        assert_eq!(seqs(&check_chain(&edited).1), vec![2, 5]);

        // An edit that re-hashed its entry shows at the next entry, which no longer links.
        let mut rehashed = entries.clone();
        let e = &mut rehashed[2];
        e.event = event::REVOKE.into();
        e.entry_hash = entry_hash(e.seq, &e.at, &e.event, e.subject_id, &e.document_hash, &e.prev_hash);
        assert_eq!(seqs(&check_chain(&rehashed).1), vec![4]);

        let mut removed = entries.clone();
        removed.remove(1);
        let (_, broken) = check_chain(&removed);
        assert_eq!(seqs(&broken), vec![2], "{broken:?}");
        assert!(broken[0].reason.starts_with("missing"));
    }
}
