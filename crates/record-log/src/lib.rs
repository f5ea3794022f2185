//! One hash chain over every record that decides JP: certificates and their revocations, JP
//! ledger entries, external training records with their evidence and reversals.
//!
//! Each record is written in a transaction that also appends a log entry committing to the
//! record's digest ([`digest`]); the entry's hash commits to the entry before it ([`chain`]),
//! and the certificates service publishes the head, signed. Readers check a record against its
//! entries ([`Logged`]) before they show or count it; `penkom audit` walks the whole chain.
//!
//! What this protects against: anyone who can write to the database but not to the signing
//! key. An edit made without recomputing hashes shows at once, to every reader of the record.
//! An edit that recomputes them (the formulas are public) must rewrite every later entry, and
//! then no longer contains a signed head saved earlier: the audit given that head finds it.

pub mod chain;
pub mod digest;
pub mod store;

pub use chain::{Broken, GENESIS, LogEntry, event};
pub use store::{LOG_LOCK, append, lock};

/// The entries of `log` about each record, in log order: how an audit hands each record the
/// entries it is checked against.
pub fn by_subject(log: &[LogEntry]) -> std::collections::HashMap<uuid::Uuid, Vec<LogEntry>> {
    let mut map: std::collections::HashMap<uuid::Uuid, Vec<LogEntry>> = std::collections::HashMap::new();
    for e in log {
        map.entry(e.subject_id).or_default().push(e.clone());
    }
    map
}

/// The entries about one record, as readers check it against them.
#[derive(Debug, Clone, Default)]
pub struct Logged<'a>(pub &'a [LogEntry]);

impl Logged<'_> {
    /// The intact entry of `event` about this record, if there is one. An entry whose own
    /// fields no longer match its hash counts as absent: it proves nothing.
    pub fn find(&self, event: &str) -> Option<&LogEntry> {
        self.0.iter().find(|e| e.event == event && e.is_intact())
    }

    /// Whether the log holds an intact `event` entry committing to exactly `digest`.
    pub fn commits(&self, event: &str, digest: &str) -> bool {
        self.find(event).is_some_and(|e| e.document_hash == digest)
    }

    /// Whether any entry of `event` exists, intact or not: an altered revocation entry still
    /// says the certificate was revoked.
    pub fn mentions(&self, event: &str) -> bool {
        self.0.iter().any(|e| e.event == event)
    }
}
