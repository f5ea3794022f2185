//! Publishing the record log's head, and auditing the log with everything it covers.

use penkom_storage::entities::certificate;
use record_log::{Broken, GENESIS, LogEntry, Logged, event};
use sea_orm::{DbErr, EntityTrait};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashSet;

use sea_orm::TransactionTrait;

use crate::credential::rfc3339;
use crate::keys::PublicKeys;
use crate::proof;
use crate::service::{Certificate, Certificates};
use crate::verify::{CERTIFICATE_TYPE, check_signature};

/// The result of `penkom audit`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditReport {
    pub entries: i64,
    pub head: String,
    pub certificates: usize,
    /// Every problem found, in log order; empty when the audit passes.
    pub broken: Vec<Broken>,
}

impl Certificates {
    /// Recomputes the chain; checks that it still contains `trusted_head` (a signed head saved
    /// earlier, so a rewritten or truncated log is caught); checks every certificate's signature,
    /// that its row agrees with its signed document and with what its entries committed to, and
    /// that no certificate or revocation is missing from the log; and checks the JP ledger's
    /// entries, balances and external records the same way (`jp_ledger::audit`). Names every
    /// problem, not only the first. Reads everything in one snapshot, so writes committed
    /// meanwhile cannot look like gaps.
    pub async fn audit(&self, trusted_head: Option<&Value>) -> Result<AuditReport, DbErr> {
        let db = &self.inner.db;
        let isolation = (db.get_database_backend() == sea_orm::DatabaseBackend::Postgres)
            .then_some(sea_orm::IsolationLevel::RepeatableRead);
        let txn = db.begin_with_config(isolation, Some(sea_orm::AccessMode::ReadOnly)).await?;
        let entries = record_log::store::all(&txn).await?;
        let certificates: Vec<Certificate> = certificate::Entity::find()
            .all(&txn)
            .await?
            .into_iter()
            .map(|row| Certificate::from_row(row, Vec::new()))
            .collect();
        let keys = self.public_keys_in(&txn).await?;
        let ledger = jp_ledger::audit::audit(&txn, &entries).await?;
        txn.commit().await?;
        let (head, mut broken) = record_log::chain::check_chain(&entries);
        broken.extend(trusted_head.and_then(|t| head_problem(&entries, &keys, t)));
        let count = certificates.len();
        broken.extend(certificate_problems(&entries, certificates, &keys));
        broken.extend(ledger);
        broken.sort_by_key(|b| b.seq);
        Ok(AuditReport { entries: entries.len() as i64, head, certificates: count, broken })
    }

    /// The log's current head, signed: anyone who keeps a copy can later prove that the log was
    /// rewritten if a later head does not extend it.
    pub async fn log_head(&self) -> Result<Value, LogHeadError> {
        let (size, head) = record_log::store::head(&self.inner.db).await?;
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

/// Whether the log still contains `trusted` (a signed head saved earlier), and if not, why.
fn head_problem(entries: &[LogEntry], keys: &PublicKeys, trusted: &Value) -> Option<Broken> {
    if proof::verify(trusted, |m| keys.resolve(m)).is_err() {
        return Some(Broken::new(0, "the trusted head given is not signed by a published key"));
    }
    let size = trusted["credentialSubject"]["treeSize"].as_i64().unwrap_or(-1);
    let hash = trusted["credentialSubject"]["headHash"].as_str().unwrap_or("");
    let contained = match size {
        0 => hash == GENESIS,
        n if n > 0 => entries.get((n - 1) as usize).is_some_and(|e| e.entry_hash == hash),
        _ => false,
    };
    (!contained).then(|| Broken::new(size.max(0), "the log no longer contains the trusted head"))
}

/// Every problem with the certificates against the log: an entry whose certificate is gone, a
/// row or document that differs from what its issue committed to, a revocation erased, edited
/// or never logged, a certificate never logged.
fn certificate_problems(
    entries: &[LogEntry],
    certificates: Vec<Certificate>,
    keys: &PublicKeys,
) -> Vec<Broken> {
    let next = entries.len() as i64 + 1;
    let mut by_subject = record_log::by_subject(entries);
    let mut broken = Vec::new();
    let ids: HashSet<uuid::Uuid> = certificates.iter().map(|c| c.row.id).collect();
    for e in entries.iter().filter(|e| e.event == event::ISSUE || e.event == event::REVOKE) {
        if !ids.contains(&e.subject_id) {
            broken.push(Broken::new(e.seq, format!("certificate {} no longer exists", e.subject_id)));
        }
    }
    for mut c in certificates {
        c.log = by_subject.remove(&c.row.id).unwrap_or_default();
        let seq_of = |name: &str| c.log.iter().find(|e| e.event == name).map_or(next, |e| e.seq);
        let id = c.row.id;
        if !Logged(&c.log).mentions(event::ISSUE) {
            broken.push(Broken::new(next, format!("certificate {id} was never logged as issued")));
        } else if check_signature(&c.credential, keys, CERTIFICATE_TYPE).is_err()
            || !c.row_matches_credential()
        {
            broken.push(Broken::new(
                seq_of(event::ISSUE),
                format!("certificate {id} no longer matches its signature"),
            ));
        } else if !c.logged_as_issued() {
            broken.push(Broken::new(
                seq_of(event::ISSUE),
                format!("certificate {id} differs from what was logged (issue)"),
            ));
        }
        if !c.revocation_logged() {
            let reason = match (c.row.revoked_at.is_some(), Logged(&c.log).mentions(event::REVOKE)) {
                (true, true) => "differs from what was logged (revoke)",
                (true, false) => "was never logged as revoked",
                _ => "had its logged revocation erased",
            };
            broken.push(Broken::new(seq_of(event::REVOKE), format!("certificate {id} {reason}")));
        }
    }
    broken
}
