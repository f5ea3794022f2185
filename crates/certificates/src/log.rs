//! Appending to the certificates' log, publishing its head, and auditing it.

use chrono::{DateTime, Utc};
use penkom_storage::entities::{certificate, certificate_log};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, DbErr, EntityTrait, QueryOrder, Set};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::credential::rfc3339;
use crate::log_chain::{self, Broken, GENESIS, LogEntry, revocation_hash, sha256_hex};
use std::collections::{HashMap, HashSet};

use sea_orm::TransactionTrait;

use crate::keys::PublicKeys;
use crate::proof;
use crate::service::{Certificate, Certificates};
use crate::verify::{CERTIFICATE_TYPE, check_signature};

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
    /// Recomputes the chain; checks that it still contains `trusted_head` (a signed head saved
    /// earlier, so a rewritten or truncated log is caught); checks every certificate's signature,
    /// that its row agrees with its signed document, and that it hashes to what its entry
    /// committed to; and that no certificate or revocation is missing from the log. Reads
    /// everything in one snapshot, so writes committed meanwhile cannot look like gaps.
    pub async fn audit(&self, trusted_head: Option<&Value>) -> Result<AuditReport, DbErr> {
        let db = &self.inner.db;
        let isolation = (db.get_database_backend() == sea_orm::DatabaseBackend::Postgres)
            .then_some(sea_orm::IsolationLevel::RepeatableRead);
        let txn = db.begin_with_config(isolation, Some(sea_orm::AccessMode::ReadOnly)).await?;
        let entries: Vec<LogEntry> = certificate_log::Entity::find()
            .order_by_asc(certificate_log::Column::Seq)
            .all(&txn)
            .await?
            .into_iter()
            .map(entry)
            .collect();
        let certificates: Vec<Certificate> =
            certificate::Entity::find().all(&txn).await?.into_iter().map(Certificate::from_row).collect();
        let keys = self.public_keys_in(&txn).await?;
        txn.commit().await?;
        let mut report = AuditReport {
            entries: entries.len() as i64,
            head: GENESIS.into(),
            certificates: certificates.len(),
            broken: None,
        };
        report.broken = find_break(&entries, &certificates, &keys, trusted_head, &mut report.head).err();
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

/// The first problem of the log and the certificates, if any; sets `head` to the chain's head.
fn find_break(
    entries: &[LogEntry],
    certificates: &[Certificate],
    keys: &PublicKeys,
    trusted_head: Option<&Value>,
    head: &mut String,
) -> Result<(), Broken> {
    let broken = |seq: i64, reason: String| Broken { seq, reason };
    *head = log_chain::check_chain(entries)?.0;
    if let Some(trusted) = trusted_head {
        if proof::verify(trusted, |m| keys.resolve(m)).is_err() {
            return Err(broken(0, "the trusted head given is not signed by a published key".into()));
        }
        let size = trusted["credentialSubject"]["treeSize"].as_i64().unwrap_or(-1);
        let hash = trusted["credentialSubject"]["headHash"].as_str().unwrap_or("");
        let contained = match size {
            0 => hash == GENESIS,
            n if n > 0 => entries.get((n - 1) as usize).is_some_and(|e| e.entry_hash == hash),
            _ => false,
        };
        if !contained {
            return Err(broken(size.max(0), "the log no longer contains the trusted head".into()));
        }
    }
    let by_id: HashMap<Uuid, &Certificate> = certificates.iter().map(|c| (c.row.id, c)).collect();
    let mut seen_issue = HashSet::new();
    let mut seen_revoke = HashSet::new();
    for e in entries {
        let Some(c) = by_id.get(&e.certificate_id) else {
            return Err(broken(e.seq, format!("certificate {} no longer exists", e.certificate_id)));
        };
        let row = &c.row;
        let expected = match e.event.as_str() {
            "issue" => {
                seen_issue.insert(row.id);
                if check_signature(&c.credential, keys, CERTIFICATE_TYPE).is_err()
                    || !c.row_matches_credential()
                {
                    return Err(broken(
                        e.seq,
                        format!("certificate {} no longer matches its signature", row.id),
                    ));
                }
                Some(sha256_hex(row.credential.as_bytes()))
            }
            "revoke" => {
                seen_revoke.insert(row.id);
                row.revoked_at.map(|at| {
                    revocation_hash(row.id, &rfc3339(at), row.revocation_reason.as_deref().unwrap_or(""))
                })
            }
            _ => None,
        };
        if expected.as_deref() != Some(e.document_hash.as_str()) {
            return Err(broken(
                e.seq,
                format!("certificate {} differs from what was logged ({})", row.id, e.event),
            ));
        }
    }
    let next = entries.len() as i64 + 1;
    for c in certificates {
        if !seen_issue.contains(&c.row.id) {
            return Err(broken(next, format!("certificate {} was never logged as issued", c.row.id)));
        }
        if c.row.revoked_at.is_some() && !seen_revoke.contains(&c.row.id) {
            return Err(broken(next, format!("certificate {} was never logged as revoked", c.row.id)));
        }
    }
    Ok(())
}
