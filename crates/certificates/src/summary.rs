//! What a verification page or a list shows of a certificate, read from the credential as
//! issued (never from other rows, so the page and the signed document cannot disagree).

use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::credential::{mask_nip, text};
use crate::service::{Certificate, Integrity};

/// What any answer shows of a certificate.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = CertificateSummary))]
pub struct Summary {
    pub id: Uuid,
    /// e.g. `12/PENKOM/BKPSDM/2026`.
    pub number: String,
    /// Verification code (11 characters), as printed under the QR code.
    pub code: String,
    pub holder_name: String,
    /// The full NIP for the holder and verifiers; masked (`198503********1001`) in public.
    pub holder_nip: String,
    pub employment_type: String,
    pub opd: String,
    pub course_code: String,
    pub course_title: String,
    pub course_version: String,
    pub content_hash: String,
    /// JP as decimal text, e.g. `"2"`.
    pub jp: String,
    /// Local date of completion, `YYYY-MM-DD`.
    pub completed_on: String,
    pub issued_at: String,
    pub post_test_score: String,
    pub engaged_minutes: i64,
    /// `sha256:` and the hex digest of the completion's evidence summary.
    pub evidence_digest: String,
    pub issuer: String,
    pub verify_url: String,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    pub test_data: bool,
    /// The stored record no longer agrees with the record log (someone edited the database):
    /// nothing in it can be relied on, and verification says `tampered`.
    pub altered: bool,
}

/// The reason shown for a revocation whose row no longer states what was logged.
pub const REASON_WITHHELD: &str = "(alasan tidak dapat ditampilkan: catatan pencabutan diubah di basis data)";

impl Summary {
    pub(crate) fn of(c: &Certificate, full_nip: bool, integrity: &Integrity) -> Self {
        let v = &c.credential;
        let s = |p: &str| text(v, &format!("/credentialSubject{p}")).to_string();
        let nip = s("/nip");
        let revocation = c.revocation();
        Self {
            id: c.row.id,
            number: text(v, "/certificateNumber").to_string(),
            code: text(v, "/verificationCode").to_string(),
            holder_name: s("/name"),
            holder_nip: if full_nip { nip } else { mask_nip(&nip) },
            employment_type: s("/employmentType"),
            opd: s("/opd"),
            course_code: s("/achievement/humanCode"),
            course_title: s("/achievement/name"),
            course_version: s("/achievement/version"),
            content_hash: s("/achievement/contentHash"),
            jp: s("/jp"),
            completed_on: s("/completedOn"),
            issued_at: text(v, "/validFrom").to_string(),
            post_test_score: s("/result/0/value"),
            engaged_minutes: v.pointer("/evidence/0/engagedMinutes").and_then(Value::as_i64).unwrap_or(0),
            evidence_digest: text(v, "/evidence/0/evidenceDigest").to_string(),
            issuer: text(v, "/issuer/name").to_string(),
            verify_url: text(v, "/evidence/0/id").to_string(),
            revoked_at: revocation.as_ref().map(|r| r.at.clone()),
            revocation_reason: revocation.map(|r| r.reason.unwrap_or_else(|| REASON_WITHHELD.to_string())),
            altered: integrity.altered(),
            test_data: v.get("testData") == Some(&Value::Bool(true)),
        }
    }
}
