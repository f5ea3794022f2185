//! The certificate service: the one part of this crate that reads and writes the database.
//!
//! Issuing, revoking and appending to the log happen in one write transaction each, taken under
//! the record log's lock (`record_log::lock`, and SQLite's single writer): numbers are
//! sequential per year, the log is a chain, and both need the previous value to write the next. Issuance runs far less
//! often than heartbeats, so one queue for it costs nothing that matters.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use penkom_core::{Clock, LocalZone, UserId};
use penkom_storage::entities::{certificate, signing_key};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use uuid::Uuid;

use record_log::{LogEntry, Logged, event};

use crate::keys::{self, KeyError, KeyFile, PublicKey, PublicKeys, SigningIdentity};
use crate::summary::Summary;
use crate::{Issuer, NumberTemplate, proof};

/// What the service is configured with.
#[derive(Debug, Clone)]
pub struct CertificateConfig {
    pub issuer: Issuer,
    pub template: NumberTemplate,
    pub zone: LocalZone,
}

/// A certificate as stored, with its record log entries.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub row: certificate::Model,
    /// The stored credential, parsed.
    pub credential: Value,
    /// The log's entries about this certificate (its issue, and its revocation if any).
    pub log: Vec<LogEntry>,
}

/// A revocation as the log and the row state it together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// RFC 3339: when the log recorded it.
    pub at: String,
    /// The revoker's words, or `None` when the row no longer states what was logged.
    pub reason: Option<String>,
}

impl Certificate {
    pub(crate) fn from_row(row: certificate::Model, log: Vec<LogEntry>) -> Self {
        // Written by this service from a `Value`; a row that no longer parses was edited by
        // hand, and shows as an empty document that verification will call tampered.
        let credential = serde_json::from_str(&row.credential).unwrap_or(Value::Null);
        Self { row, credential, log }
    }

    /// Rows with their log entries, read in one query.
    pub(crate) async fn load<C: sea_orm::ConnectionTrait>(
        db: &C,
        rows: Vec<certificate::Model>,
    ) -> Result<Vec<Self>, DbErr> {
        let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
        let log = record_log::store::of_subjects(db, &ids).await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                // Cloned, not taken: one row may be asked for twice (by code and by id).
                let entries = log.get(&r.id).cloned().unwrap_or_default();
                Self::from_row(r, entries)
            })
            .collect())
    }

    /// Whether the log vouches for the row as it is: an intact `issue` entry committing to the
    /// digest of every column (holder, course, version, year, completion time, number, code,
    /// status bit, JP, and the signed document's hash). A row edited in place, moved to another
    /// person or year, or written behind the service's back, fails this.
    pub fn logged_as_issued(&self) -> bool {
        Logged(&self.log).commits(event::ISSUE, &record_log::digest::certificate(&self.row))
    }

    /// The revocation, if the log or the row says there is one. The log wins: a revocation
    /// erased from the row is still a revocation, and a row that states another reason than the
    /// one logged has its reason withheld. A revocation only the row states (none was logged)
    /// is returned too, with its reason, for [`Self::revocation_logged`] to tell apart.
    pub fn revocation(&self) -> Option<Revocation> {
        let logged = Logged(&self.log);
        let entry = self.log.iter().find(|e| e.event == event::REVOKE);
        let stated = record_log::digest::revocation_of(&self.row);
        match entry {
            Some(e) => Some(Revocation {
                at: e.at.clone(),
                reason: stated
                    .filter(|d| logged.commits(event::REVOKE, d))
                    .and(self.row.revocation_reason.clone()),
            }),
            None => self.row.revoked_at.map(|at| Revocation {
                at: crate::credential::rfc3339(at),
                reason: self.row.revocation_reason.clone(),
            }),
        }
    }

    /// Whether the row's revocation state is the logged one (none, or the same revocation).
    pub fn revocation_logged(&self) -> bool {
        let logged = Logged(&self.log);
        match record_log::digest::revocation_of(&self.row) {
            Some(d) => logged.commits(event::REVOKE, &d),
            None => !logged.mentions(event::REVOKE),
        }
    }

    /// Whether the row's indexing columns say what the signed credential says. The status list
    /// is built from `status_index` and lookups go by `code`, so an edit to either would
    /// redirect a revocation or a QR code to another certificate.
    pub fn row_matches_credential(&self) -> bool {
        let c = &self.credential;
        let text = |p: &str| crate::credential::text(c, p);
        text("/credentialSubject/jp") == self.row.jp
            && text("/certificateNumber") == self.row.number
            && text("/verificationCode") == self.row.code
            && text("/credentialStatus/statusListIndex") == self.row.status_index.to_string()
            && text("/id") == format!("urn:uuid:{}", self.row.id)
            && text("/validFrom") == crate::credential::rfc3339(self.row.issued_at)
            && text("/credentialSubject/activityEndDate") == crate::credential::rfc3339(self.row.completed_at)
            && (c.get("testData") == Some(&Value::Bool(true))) == self.row.test_data
    }

    pub fn summary(&self, full_nip: bool) -> Summary {
        Summary::of(self, full_nip, &self.integrity())
    }

    /// The three agreements every answer about this certificate depends on, computed once: the
    /// log's digest alone hashes the whole stored document.
    pub fn integrity(&self) -> Integrity {
        Integrity {
            logged_as_issued: self.logged_as_issued(),
            revocation_logged: self.revocation_logged(),
            row_matches_credential: self.row_matches_credential(),
        }
    }
}

/// What [`Certificate::integrity`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integrity {
    pub logged_as_issued: bool,
    pub revocation_logged: bool,
    pub row_matches_credential: bool,
}

impl Integrity {
    /// Whether the stored record disagrees with the log anywhere.
    pub fn altered(&self) -> bool {
        !(self.logged_as_issued && self.revocation_logged && self.row_matches_credential)
    }
}

#[derive(Clone)]
pub struct Certificates {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) db: DatabaseConnection,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: CertificateConfig,
    /// `None` for a maintenance command on a host without keys: it can verify, not sign.
    pub(crate) signer: Option<SigningIdentity>,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("cannot record the public keys: {0}")]
    Db(#[from] DbErr),
    #[error("key {0} is registered with a different public key; refusing to sign with it")]
    KeyMismatch(String),
}

impl Certificates {
    /// Loads the signing keys from `keys_dir` (generating the first one if there is none and
    /// `generate_if_missing`), records their public halves in the database so they stay
    /// published, and signs with the newest.
    pub async fn open(
        db: DatabaseConnection,
        clock: Arc<dyn Clock>,
        config: CertificateConfig,
        keys_dir: &Path,
        generate_if_missing: bool,
    ) -> Result<Self, OpenError> {
        let mut files = keys::load_dir(keys_dir)?;
        if files.is_empty() && generate_if_missing {
            let file = keys::generate(keys_dir, clock.now())?;
            tracing::info!(kid = %file.kid, dir = %keys_dir.display(), "generated the first signing key");
            files.push(file);
        }
        let signer = if files.is_empty() { None } else { Some(keys::current(&files, keys_dir)?) };
        register_keys(&db, &files).await?;
        Ok(Self { inner: Arc::new(Inner { db, clock, config, signer }) })
    }

    pub fn issuer(&self) -> &Issuer {
        &self.inner.config.issuer
    }

    pub fn zone(&self) -> &LocalZone {
        &self.inner.config.zone
    }

    /// The domain of Message-IDs: the host of the public URL.
    pub fn mail_host(&self) -> String {
        let url = &self.inner.config.issuer.public_url;
        let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        let host = rest.split(['/', ':']).next().unwrap_or("penkom");
        if host.is_empty() { "penkom".into() } else { host.to_string() }
    }

    /// Every public key ever recorded: the DID document and JWKS publish these.
    pub async fn public_keys(&self) -> Result<PublicKeys, DbErr> {
        self.public_keys_in(&self.inner.db).await
    }

    pub(crate) async fn public_keys_in<C: sea_orm::ConnectionTrait>(
        &self,
        db: &C,
    ) -> Result<PublicKeys, DbErr> {
        let rows = signing_key::Entity::find().order_by_asc(signing_key::Column::CreatedAt).all(db).await?;
        Ok(PublicKeys(
            rows.iter().filter_map(|r| PublicKeys::parse_one(&r.kid, &r.public_key_multibase)).collect(),
        ))
    }

    pub async fn find(&self, id: Uuid) -> Result<Option<Certificate>, DbErr> {
        let rows = certificate::Entity::find_by_id(id).all(&self.inner.db).await?;
        Ok(Certificate::load(&self.inner.db, rows).await?.pop())
    }

    pub async fn find_by_code(&self, code: &str) -> Result<Option<Certificate>, DbErr> {
        let rows = certificate::Entity::find()
            .filter(certificate::Column::Code.eq(code))
            .all(&self.inner.db)
            .await?;
        Ok(Certificate::load(&self.inner.db, rows).await?.pop())
    }

    /// A person's certificates, newest first.
    pub async fn list_for(&self, person: UserId) -> Result<Vec<Certificate>, DbErr> {
        let rows = certificate::Entity::find()
            .filter(certificate::Column::PersonId.eq(person.0))
            .order_by_desc(certificate::Column::IssuedAt)
            .all(&self.inner.db)
            .await?;
        Certificate::load(&self.inner.db, rows).await
    }

    /// Signs `document` with the current key, as of now.
    pub(crate) fn sign(&self, document: &Value, now: DateTime<Utc>) -> Result<Value, proof::ProofError> {
        let signer = self.inner.signer.as_ref().ok_or(proof::ProofError::NoSigningKey)?;
        let method = format!("{}#{}", self.inner.config.issuer.did, signer.kid);
        proof::sign(document, &signer.key, &method, &crate::credential::rfc3339(now))
    }
}

async fn register_keys(db: &DatabaseConnection, files: &[KeyFile]) -> Result<(), OpenError> {
    for f in files {
        let row = signing_key::ActiveModel {
            kid: sea_orm::Set(f.kid.clone()),
            public_key_multibase: sea_orm::Set(f.public_key_multibase.clone()),
            created_at: sea_orm::Set(f.created),
        };
        // Every node registers the keys it holds at start; the first one wins and the others
        // find it there.
        signing_key::Entity::insert(row)
            .on_conflict_do_nothing_on([signing_key::Column::Kid])
            .exec(db)
            .await?;
        // A key id registered with another public key would mean signing with a key nobody can
        // verify; better not to start.
        let stored = signing_key::Entity::find_by_id(f.kid.clone()).one(db).await?;
        if stored.is_none_or(|r| r.public_key_multibase != f.public_key_multibase) {
            return Err(OpenError::KeyMismatch(f.kid.clone()));
        }
    }
    Ok(())
}

/// The published keys as verification needs them, for callers holding only key files.
pub fn public_keys_of(files: &[KeyFile]) -> PublicKeys {
    PublicKeys(
        files
            .iter()
            .filter_map(|f| PublicKeys::parse_one(&f.kid, &f.public_key_multibase))
            .collect::<Vec<PublicKey>>(),
    )
}
