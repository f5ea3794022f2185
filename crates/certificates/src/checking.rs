//! Verification against the register: by code (what the QR code and the paper carry) and of a
//! presented credential, one at a time or a thousand per request.

use std::collections::HashMap;

use penkom_storage::entities::certificate;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::VerificationCode;
use crate::keys::PublicKeys;
use crate::service::{Certificate, Certificates, Integrity};
use crate::strict_json::StrictValue;
use crate::summary::Summary;
use crate::verify::{CERTIFICATE_TYPE, Status, Verdict, check_signature};

/// The most items one bulk request may carry.
pub const MAX_ITEMS: usize = 1000;

/// One thing to verify: a code or a whole credential, optionally with the NIP of the person
/// who presented it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub code: Option<String>,
    /// Read without duplicate keys (see [`crate::strict_json`]).
    pub credential: Option<StrictValue>,
    pub nip: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ItemResult {
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What the register holds for the certificate, when it is known.
    pub certificate: Option<Summary>,
    /// Present when the item carried a NIP: whether it is the holder's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder_matches: Option<bool>,
}

/// The verdict on a certificate in the register. Revoked if the record log says so, whatever
/// the row says (with when, and why unless the row no longer states the logged reason); else
/// `tampered` if the stored credential no longer carries a valid signature, no longer agrees
/// with the row that indexes it, or the row is not what the log committed to (someone edited
/// the database: `stored_document_altered`, or `revocation_not_logged` for a revocation only
/// the row states); else valid. Test data is valid with the reason `test_data`, so no one
/// mistakes it for real credit.
pub fn standing(c: &Certificate, keys: &PublicKeys) -> Verdict {
    standing_checked(c, &c.integrity(), || check_signature(&c.credential, keys, CERTIFICATE_TYPE).is_ok())
}

/// [`standing`] from checks already made: `integrity`, and `signed`, asked only when the
/// verdict depends on it (the bulk verifier has just checked the same document's signature
/// when a presented credential equals the stored one).
fn standing_checked(c: &Certificate, integrity: &Integrity, signed: impl FnOnce() -> bool) -> Verdict {
    let revocation = c.revocation();
    if let Some(r) =
        revocation.as_ref().filter(|_| c.log.iter().any(|e| e.event == record_log::event::REVOKE))
    {
        return Verdict {
            status: Status::Revoked,
            reason: Some(r.reason.clone().unwrap_or_else(|| crate::summary::REASON_WITHHELD.to_string())),
            revoked_at: Some(r.at.clone()),
        };
    }
    if !integrity.row_matches_credential || !integrity.logged_as_issued || !signed() {
        return Verdict::new(Status::Tampered, Some("stored_document_altered"));
    }
    if revocation.is_some() {
        return Verdict::new(Status::Tampered, Some("revocation_not_logged"));
    }
    if c.row.test_data {
        Verdict::new(Status::Valid, Some("test_data"))
    } else {
        Verdict::new(Status::Valid, None)
    }
}

fn credential_id(credential: &Value) -> Option<Uuid> {
    credential["id"].as_str()?.strip_prefix("urn:uuid:")?.parse().ok()
}

impl Certificates {
    /// Verifies up to [`MAX_ITEMS`] items with a few database reads (the certificates by code,
    /// by id, and their log entries), whatever their number.
    pub async fn verify_items(&self, items: &[Item], full_nip: bool) -> Result<Vec<ItemResult>, DbErr> {
        let keys = self.public_keys().await?;
        let codes: Vec<String> = items
            .iter()
            .filter_map(|i| i.code.as_deref().and_then(|c| VerificationCode::parse(c).ok()))
            .map(|c| c.to_string())
            .collect();
        let ids: Vec<Uuid> =
            items.iter().filter_map(|i| i.credential.as_ref().and_then(|c| credential_id(&c.0))).collect();
        let mut rows = Vec::new();
        for chunk in codes.chunks(500) {
            rows.extend(
                certificate::Entity::find()
                    .filter(certificate::Column::Code.is_in(chunk.to_vec()))
                    .all(&self.inner.db)
                    .await?,
            );
        }
        for chunk in ids.chunks(500) {
            rows.extend(
                certificate::Entity::find()
                    .filter(certificate::Column::Id.is_in(chunk.to_vec()))
                    .all(&self.inner.db)
                    .await?,
            );
        }
        // A certificate asked for both by code and by credential was read twice; one copy
        // is enough, and the lookups point into it.
        rows.sort_by_key(|r| r.id);
        rows.dedup_by_key(|r| r.id);
        let found = Certificate::load(&self.inner.db, rows).await?;
        let by_code: HashMap<&str, &Certificate> = found.iter().map(|c| (c.row.code.as_str(), c)).collect();
        let by_id: HashMap<Uuid, &Certificate> = found.iter().map(|c| (c.row.id, c)).collect();
        // The verdict on a register entry, with the checks the summary shows too.
        let judged = |c, signed: &dyn Fn(&Certificate) -> bool| {
            let integrity = Certificate::integrity(c);
            (standing_checked(c, &integrity, || signed(c)), Some((c, integrity)))
        };
        let stored_signed = |c: &Certificate| check_signature(&c.credential, &keys, CERTIFICATE_TYPE).is_ok();
        Ok(items
            .iter()
            .map(|item| {
                let (verdict, found) = match (&item.code, &item.credential) {
                    (Some(code), None) => match VerificationCode::parse(code) {
                        Err(_) => (Verdict::new(Status::Invalid, Some("malformed_code")), None),
                        Ok(code) => match by_code.get(code.as_str()) {
                            Some(&c) => judged(c, &stored_signed),
                            None => (Verdict::new(Status::Unknown, Some("not_issued")), None),
                        },
                    },
                    (None, Some(StrictValue(credential))) => {
                        match check_signature(credential, &keys, CERTIFICATE_TYPE) {
                            Err(v) => (v, None),
                            Ok(()) => match credential_id(credential).and_then(|id| by_id.get(&id)) {
                                None => (Verdict::new(Status::Unknown, Some("not_issued")), None),
                                Some(&c) if !same_document(credential, &c.credential) => (
                                    Verdict::new(Status::Tampered, Some("differs_from_issued")),
                                    Some((c, c.integrity())),
                                ),
                                // The stored document is the one whose signature was just
                                // checked: checking it again would prove nothing new.
                                Some(&c) => judged(c, &|_| true),
                            },
                        }
                    }
                    _ => (Verdict::new(Status::Invalid, Some("needs_code_or_credential")), None),
                };
                let holder_matches = item.nip.as_ref().zip(found.as_ref()).map(|(nip, (c, _))| {
                    nip.trim() == crate::credential::text(&c.credential, "/credentialSubject/nip")
                });
                let verdict = if holder_matches == Some(false) && verdict.status == Status::Valid {
                    Verdict::new(Status::Invalid, Some("holder_mismatch"))
                } else {
                    verdict
                };
                let certificate = found.map(|(c, integrity)| Summary::of(c, full_nip, &integrity));
                ItemResult { verdict, certificate, holder_matches }
            })
            .collect())
    }
}

/// Whether two credentials are the same document: equal RFC 8785 forms, so key order and
/// whitespace do not matter, and any changed value does. Equal values have equal forms, so
/// the canonical text is written only when the values differ (a number spelled `1.0` against
/// `1`, say).
fn same_document(a: &Value, b: &Value) -> bool {
    a == b
        || match (penkom_core::canonical_json::to_vec(a), penkom_core::canonical_json::to_vec(b)) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
}
