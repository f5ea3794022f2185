//! Verdicts on a presented credential, from what can be checked without the database: its
//! form, its signature against the published keys, and (offline) a status list.
//!
//! The statuses are the ones the verification API answers with: `valid`, `revoked`, `unknown`
//! (no such certificate was issued), `tampered` (a signature that does not match, or a document
//! that differs from what was issued) and `invalid` (not a credential at all).

use serde::Serialize;
use serde_json::Value;

use crate::keys::PublicKeys;
use crate::proof::{self, ProofError};
use crate::status_list;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Revoked,
    Unknown,
    Tampered,
    Invalid,
}

/// A status with the reason for it. For `revoked`, `reason` is the revoker's own words; for the
/// others it is a stable `snake_case` code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Verdict {
    pub status: Status,
    /// For `revoked`, the reason given; else a code: `test_data`, `stored_document_altered`,
    /// `revocation_not_logged`, `differs_from_issued`, `not_issued`, `malformed_code`,
    /// `needs_code_or_credential`, or a signature check's finding.
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

impl Verdict {
    pub fn new(status: Status, reason: Option<&str>) -> Self {
        Self { status, reason: reason.map(str::to_string), revoked_at: None }
    }
}

/// The credential type of certificates.
pub const CERTIFICATE_TYPE: &str = "OpenBadgeCredential";
/// The credential type of the revocation list.
pub const STATUS_LIST_TYPE: &str = "BitstringStatusListCredential";

/// Whether `credential` is a credential of type `kind` signed by one of `keys` on behalf of its
/// own issuer: `Ok` if so, else the verdict that says why not. The type check matters: the
/// server signs other documents too (the status list, the log head), and none of them may pass
/// for a certificate.
pub fn check_signature(credential: &Value, keys: &PublicKeys, kind: &str) -> Result<(), Verdict> {
    let types = credential.get("type").and_then(Value::as_array);
    let has = |t: &str| types.is_some_and(|types| types.iter().any(|x| x == t));
    if !has("VerifiableCredential") || !has(kind) {
        return Err(Verdict::new(Status::Invalid, Some("not_a_credential")));
    }
    let issuer = credential["issuer"].as_str().or_else(|| credential["issuer"]["id"].as_str()).unwrap_or("");
    match proof::verify(credential, |m| keys.resolve(m)) {
        // The key must belong to the issuer the document names, or one issuer's key could vouch
        // for a document claiming to come from another.
        Ok(method) if method.split_once('#').map(|(did, _)| did) != Some(issuer) => {
            Err(Verdict::new(Status::Tampered, Some("issuer_mismatch")))
        }
        Ok(_) => Ok(()),
        Err(ProofError::NotAnObject) => Err(Verdict::new(Status::Invalid, Some("not_a_credential"))),
        Err(ProofError::NoProof) => Err(Verdict::new(Status::Invalid, Some("unsigned"))),
        Err(ProofError::Unsupported) => Err(Verdict::new(Status::Invalid, Some("unsupported_proof"))),
        Err(ProofError::Malformed(_)) => Err(Verdict::new(Status::Tampered, Some("malformed_proof"))),
        Err(ProofError::UnknownKey(_)) => Err(Verdict::new(Status::Tampered, Some("unknown_key"))),
        Err(ProofError::BadSignature) => Err(Verdict::new(Status::Tampered, Some("signature_mismatch"))),
        // Only signing can fail this way.
        Err(ProofError::NoSigningKey) => Err(Verdict::new(Status::Invalid, Some("unsigned"))),
    }
}

/// The outcome of offline verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfflineReport {
    #[serde(flatten)]
    pub verdict: Verdict,
    /// `validFrom` of the status list consulted: revocations after it are not known.
    pub status_list_date: Option<String>,
    /// Why revocation could not be checked, if it could not.
    pub status_note: Option<String>,
}

/// Verifies `credential` with `keys` only and, when given, the status list credential `list`
/// (as served at `/status/revocation`, itself checked against `keys`).
pub fn offline(credential: &Value, keys: &PublicKeys, list: Option<&Value>) -> OfflineReport {
    let report = |verdict, date: Option<&str>, note: Option<&str>| OfflineReport {
        verdict,
        status_list_date: date.map(str::to_string),
        status_note: note.map(str::to_string),
    };
    if let Err(v) = check_signature(credential, keys, CERTIFICATE_TYPE) {
        return report(v, None, None);
    }
    let valid = Verdict::new(Status::Valid, None);
    let Some(list) = list else {
        return report(valid, None, Some("revocation not checked: no status list given"));
    };
    if check_signature(list, keys, STATUS_LIST_TYPE).is_err() {
        return report(
            valid,
            None,
            Some("revocation not checked: the status list is not signed by these keys"),
        );
    }
    let date = list["validFrom"].as_str();
    let entry = &credential["credentialStatus"];
    if entry["statusListCredential"] != list["id"] {
        return report(valid, date, Some("revocation not checked: the status list is not this credential's"));
    }
    let index = entry["statusListIndex"].as_str().and_then(|i| i.parse::<u32>().ok());
    let bits = list["credentialSubject"]["encodedList"].as_str().map(status_list::decode);
    match (index, bits) {
        (Some(index), Some(Ok(bits))) => match status_list::is_set(&bits, index) {
            Ok(false) => report(valid, date, None),
            Ok(true) => {
                let wanted = index.to_string();
                let detail = list["credentialSubject"]["revocations"]
                    .as_array()
                    .and_then(|r| r.iter().find(|r| r["statusListIndex"].as_str() == Some(wanted.as_str())));
                let verdict = Verdict {
                    status: Status::Revoked,
                    reason: Some(detail.and_then(|d| d["reason"].as_str()).unwrap_or("revoked").to_string()),
                    revoked_at: detail.and_then(|d| d["revokedAt"].as_str()).map(str::to_string),
                };
                report(verdict, date, None)
            }
            Err(_) => report(valid, date, Some("revocation not checked: index outside the list")),
        },
        _ => report(valid, date, Some("revocation not checked: unreadable status entry or list")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{build, tests as fixtures};
    use crate::keys::PublicKey;
    use crate::status_list::Revoked;
    use ed25519_dalek::SigningKey;

    fn signed(key: &SigningKey) -> Value {
        proof::sign(
            &build(&fixtures::facts(), &fixtures::issuer()),
            key,
            "did:web:penkom.test#k1",
            "2026-11-02T03:00:01Z",
        )
        .unwrap()
    }

    #[test]
    fn valid_tampered_invalid_and_revoked_offline() {
        let key = SigningKey::from_bytes(&[7; 32]);
        let keys = PublicKeys(vec![PublicKey { kid: "k1".into(), key: key.verifying_key() }]);
        let credential = signed(&key);
        assert_eq!(offline(&credential, &keys, None).verdict.status, Status::Valid);

        let mut edited = credential.clone();
        edited["credentialSubject"]["jp"] = "20".into();
        let v = offline(&edited, &keys, None).verdict;
        assert_eq!((v.status, v.reason.as_deref()), (Status::Tampered, Some("signature_mismatch")));

        let other = PublicKeys(vec![PublicKey {
            kid: "k2".into(),
            key: SigningKey::from_bytes(&[8; 32]).verifying_key(),
        }]);
        assert_eq!(offline(&credential, &other, None).verdict.reason.as_deref(), Some("unknown_key"));
        assert_eq!(offline(&serde_json::json!({"a": 1}), &keys, None).verdict.status, Status::Invalid);

        let list_url = "http://penkom.test/status/revocation";
        let unsigned_list = |revoked: &[Revoked]| {
            status_list::credential(list_url, "did:web:penkom.test", "2026-12-01T00:00:00Z", revoked)
        };
        let list =
            proof::sign(&unsigned_list(&[]), &key, "did:web:penkom.test#k1", "2026-12-01T00:00:00Z").unwrap();
        let r = offline(&credential, &keys, Some(&list));
        assert_eq!(
            (r.verdict.status, r.status_list_date.as_deref()),
            (Status::Valid, Some("2026-12-01T00:00:00Z"))
        );

        let revoked = [Revoked {
            index: 4242,
            revoked_at: "2026-11-30T00:00:00Z".into(),
            reason: "Data keliru".into(),
        }];
        let list =
            proof::sign(&unsigned_list(&revoked), &key, "did:web:penkom.test#k1", "2026-12-01T00:00:00Z")
                .unwrap();
        let r = offline(&credential, &keys, Some(&list)).verdict;
        assert_eq!((r.status, r.reason.as_deref()), (Status::Revoked, Some("Data keliru")));

        // The server signs its status list too; it must not pass for a certificate.
        assert_eq!(offline(&list, &keys, None).verdict.reason.as_deref(), Some("not_a_credential"));

        let mut forged_list = list.clone();
        forged_list["credentialSubject"]["encodedList"] = status_list::encode([]).into();
        let r = offline(&credential, &keys, Some(&forged_list));
        assert_eq!(r.verdict.status, Status::Valid);
        assert!(r.status_note.unwrap().contains("not signed"));
    }
}
