//! Appending to the certificates' log, publishing its head, and auditing it.

use chrono::{DateTime, Utc};
use penkom_storage::entities::{certificate, certificate_log};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, QueryOrder, Set};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::credential::rfc3339;
use crate::log_chain::{self, Broken, GENESIS, LogEntry, revocation_hash, sha256_hex};
use crate::service::Certificates;

/// Appends an entry. Runs inside the transaction that made the change, under the write lock,
/// so the entry exists exactly when the change does and entries never race for a number.
pub(crate) async fn append(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    event: &str,
    certificate_id: Uuid,
    document_hash: &str,
) -> Result<(), DbErr> {
    let last = certificate_log::Entity::find().order_by_desc(certificate_log::Column::Seq).one(txn).await?;
    let (seq, prev) = last.map_or((1, GENESIS.to_string()), |l| (l.seq + 1, l.entry_hash));
    let at = rfc3339(now);
    let hash = log_chain::entry_hash(seq, &at, event, certificate_id, document_hash, &prev);
    certificate_log::ActiveModel {
        seq: Set(seq),
        at: Set(at),
        event: Set(event.to_string()),
        certificate_id: Set(certificate_id),
        document_hash: Set(document_hash.to_string()),
        prev_hash: Set(prev),
        entry_hash: Set(hash),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// The result of `penkom audit`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub entries: i64,
    pub head: String,
    pub certificates: usize,
    /// The first problem found, if any.
    pub broken: Option<Broken>,
}

fn entry(m: certificate_log::Model) -> LogEntry {
    LogEntry {
        seq: m.seq,
        at: m.at,
        event: m.event,
        certificate_id: m.certificate_id,
        document_hash: m.document_hash,
        prev_hash: m.prev_hash,
        entry_hash: m.entry_hash,
    }
}

impl Certificates {
    /// Recomputes the chain, then checks that every certificate row still hashes to what its
    /// entries committed to, and that no certificate or revocation is missing from the log.
    pub async fn audit(&self) -> Result<AuditReport, DbErr> {
        let db = &self.inner.db;
        let entries: Vec<LogEntry> = certificate_log::Entity::find()
            .order_by_asc(certificate_log::Column::Seq)
            .all(db)
            .await?
            .into_iter()
            .map(entry)
            .collect();
        let certificates = certificate::Entity::find().all(db).await?;
        let mut report = AuditReport {
            entries: entries.len() as i64,
            head: GENESIS.into(),
            certificates: certificates.len(),
            broken: None,
        };
        match log_chain::check_chain(&entries) {
            Ok((head, _)) => report.head = head,
            Err(b) => {
                report.broken = Some(b);
                return Ok(report);
            }
        }
        let by_id: std::collections::HashMap<Uuid, &certificate::Model> =
            certificates.iter().map(|c| (c.id, c)).collect();
        let broken = |seq: i64, reason: String| Some(Broken { seq, reason });
        let mut seen_issue = std::collections::HashSet::new();
        let mut seen_revoke = std::collections::HashSet::new();
        for e in &entries {
            let Some(c) = by_id.get(&e.certificate_id) else {
                report.broken = broken(e.seq, format!("certificate {} no longer exists", e.certificate_id));
                return Ok(report);
            };
            let expected = match e.event.as_str() {
                "issue" => {
                    seen_issue.insert(c.id);
                    Some(sha256_hex(c.credential.as_bytes()))
                }
                "revoke" => {
                    seen_revoke.insert(c.id);
                    c.revoked_at.map(|at| {
                        revocation_hash(c.id, &rfc3339(at), c.revocation_reason.as_deref().unwrap_or(""))
                    })
                }
                _ => None,
            };
            if expected.as_deref() != Some(e.document_hash.as_str()) {
                report.broken =
                    broken(e.seq, format!("certificate {} differs from what was logged ({})", c.id, e.event));
                return Ok(report);
            }
        }
        let next = report.entries + 1;
        for c in &certificates {
            if !seen_issue.contains(&c.id) {
                report.broken = broken(next, format!("certificate {} was never logged as issued", c.id));
                return Ok(report);
            }
            if c.revoked_at.is_some() && !seen_revoke.contains(&c.id) {
                report.broken = broken(next, format!("certificate {} was never logged as revoked", c.id));
                return Ok(report);
            }
        }
        Ok(report)
    }

    /// The log's current head, signed: anyone who keeps a copy can later prove that the log was
    /// rewritten if a later head does not extend it.
    pub async fn log_head(&self) -> Result<Value, LogHeadError> {
        let last = certificate_log::Entity::find()
            .order_by_desc(certificate_log::Column::Seq)
            .one(&self.inner.db)
            .await?;
        let (size, head) = last.map_or((0, GENESIS.to_string()), |l| (l.seq, l.entry_hash));
        let now = self.inner.clock.now();
        let doc = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential", "PenkomLogHead"],
            "issuer": self.issuer().did,
            "validFrom": rfc3339(now),
            "credentialSubject": {
                "type": "LogHead",
                "hashAlgorithm": "sha-256",
                "treeSize": size,
                "headHash": head,
            },
        });
        Ok(self.sign(&doc, now)?)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LogHeadError {
    #[error(transparent)]
    Db(#[from] DbErr),
    #[error("signing failed: {0}")]
    Sign(#[from] crate::proof::ProofError),
}
