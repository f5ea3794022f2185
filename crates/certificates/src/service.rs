//! The certificate service: the one part of this crate that reads and writes the database.
//!
//! Issuing, revoking and appending to the log happen in one write transaction each, taken under
//! one lock (`serialize_on`, and SQLite's single writer): numbers are sequential per year, the
//! log is a chain, and both need the previous value to write the next. Issuance runs far less
//! often than heartbeats, so one queue for it costs nothing that matters.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use penkom_core::{Clock, LocalZone, UserId};
use penkom_storage::entities::{certificate, signing_key};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::Value;
use uuid::Uuid;

use crate::keys::{self, KeyError, KeyFile, PublicKey, PublicKeys, SigningIdentity};
use crate::summary::Summary;
use crate::{Issuer, NumberTemplate, proof};

/// The advisory lock key that queues certificate writes on PostgreSQL ("CERT" in ASCII).
pub(crate) const WRITE_LOCK: i64 = 0x4345_5254;

/// What the service is configured with.
#[derive(Debug, Clone)]
pub struct CertificateConfig {
    pub issuer: Issuer,
    pub template: NumberTemplate,
    pub zone: LocalZone,
}

/// A certificate as stored.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub row: certificate::Model,
    /// The stored credential, parsed.
    pub credential: Value,
}

impl Certificate {
    pub(crate) fn from_row(row: certificate::Model) -> Self {
        // Written by this service from a `Value`; a row that no longer parses was edited by
        // hand, and shows as an empty document that verification will call tampered.
        let credential = serde_json::from_str(&row.credential).unwrap_or(Value::Null);
        Self { row, credential }
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
            && (c.get("testData") == Some(&Value::Bool(true))) == self.row.test_data
    }

    pub fn summary(&self, full_nip: bool) -> Summary {
        Summary::of(self, full_nip)
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
        Ok(certificate::Entity::find_by_id(id).one(&self.inner.db).await?.map(Certificate::from_row))
    }

    pub async fn find_by_code(&self, code: &str) -> Result<Option<Certificate>, DbErr> {
        Ok(certificate::Entity::find()
            .filter(certificate::Column::Code.eq(code))
            .one(&self.inner.db)
            .await?
            .map(Certificate::from_row))
    }

    /// A person's certificates, newest first.
    pub async fn list_for(&self, person: UserId) -> Result<Vec<Certificate>, DbErr> {
        Ok(certificate::Entity::find()
            .filter(certificate::Column::PersonId.eq(person.0))
            .order_by_desc(certificate::Column::IssuedAt)
            .all(&self.inner.db)
            .await?
            .into_iter()
            .map(Certificate::from_row)
            .collect())
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
