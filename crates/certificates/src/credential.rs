//! The certificate as an Open Badges 3.0 `OpenBadgeCredential` (W3C Verifiable Credentials 2.0).
//!
//! Standard terms carry what Open Badges has words for (the achievement, credits, result,
//! evidence, the issuing official). What it has none for (NIP, OPD, employment type, the
//! certificate number) are issuer-dependent terms, which the VC 2.0 context allows through its
//! `@vocab`. Numbers a reader could mistake for quantities are strings: the NIP (18 digits exceed
//! a JSON number's exact range) and the JP as written on the certificate.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

/// Who issues and signs, from configuration.
#[derive(Debug, Clone)]
pub struct Issuer {
    /// `did:web:…` of the server.
    pub did: String,
    /// Base URL of the server, e.g. `https://penkom.balikpapan.go.id`.
    pub public_url: String,
    /// Agency name, e.g. `BKPSDM Kota Balikpapan`.
    pub name: String,
    /// Place printed before the date of issue, e.g. `Balikpapan`.
    pub place: String,
    pub signer_name: String,
    pub signer_nip: String,
    pub signer_position: String,
}

impl Issuer {
    pub fn status_list_url(&self) -> String {
        format!("{}/status/revocation", self.public_url)
    }

    /// The verification page of `code`, as links and QR codes carry it ([`crate::code::in_url`]).
    pub fn verify_url(&self, code: &str) -> String {
        format!("{}/v/{}", self.public_url, crate::code::in_url(code))
    }
}

/// Everything a certificate states, gathered when it is issued.
#[derive(Debug, Clone)]
pub struct Facts {
    pub id: Uuid,
    pub number: String,
    pub code: String,
    pub holder_name: String,
    pub holder_nip: String,
    pub employment_type: String,
    pub opd: String,
    pub course_code: String,
    pub course_title: String,
    pub course_version: i32,
    pub content_hash: String,
    /// Decimal text, e.g. `"2"` or `"1.5"`.
    pub jp: String,
    pub completed_at: DateTime<Utc>,
    /// The completion date in the local time zone: the date the certificate shows.
    pub completed_on: NaiveDate,
    pub issued_at: DateTime<Utc>,
    pub score: u8,
    pub pass_mark: u32,
    pub engaged_minutes: i64,
    pub evidence_digest: String,
    pub status_index: u32,
    pub test_data: bool,
}

pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The unsigned credential.
pub fn build(f: &Facts, issuer: &Issuer) -> Value {
    let credits: f64 = f.jp.parse().unwrap_or(0.0);
    let mut credential = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": format!("urn:uuid:{}", f.id),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": format!("Sertifikat Pelatihan: {}", f.course_title),
        "description": format!(
            "Telah menyelesaikan pelatihan e-learning {} yang meliputi {} jam pelajaran (JP), dengan waktu belajar yang diukur dan diverifikasi oleh server.",
            f.course_title, f.jp
        ),
        "certificateNumber": f.number,
        "verificationCode": f.code,
        "issuer": {
            "id": issuer.did,
            "type": ["Profile"],
            "name": issuer.name,
            "url": issuer.public_url,
            "official": issuer.signer_name,
            "officialNip": issuer.signer_nip,
            "officialPosition": issuer.signer_position,
            "address": {"type": ["Address"], "addressLocality": issuer.place, "addressCountry": "Indonesia"},
        },
        "validFrom": rfc3339(f.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [{
                "type": "IdentityObject",
                "identityType": "identifier",
                "hashed": false,
                "identityHash": f.holder_nip,
            }],
            "name": f.holder_name,
            "nip": f.holder_nip,
            "employmentType": f.employment_type,
            "opd": f.opd,
            "activityEndDate": rfc3339(f.completed_at),
            "completedOn": f.completed_on.to_string(),
            "creditsEarned": credits,
            "jp": f.jp,
            "result": [{"type": ["Result"], "value": f.score.to_string(), "status": "Completed"}],
            "achievement": {
                "id": format!("{}/courses/{}/versions/{}", issuer.public_url, f.course_code, f.course_version),
                "type": ["Achievement"],
                "achievementType": "Course",
                "humanCode": f.course_code,
                "name": f.course_title,
                "version": f.course_version.to_string(),
                "contentHash": f.content_hash,
                "creditsAvailable": credits,
                "description": format!("Pelatihan e-learning {} JP.", f.jp),
                "criteria": {"narrative": format!(
                    "Menyelesaikan semua modul wajib dengan waktu belajar terukur minimal dan lulus post-test dengan nilai minimal {}.",
                    f.pass_mark
                )},
            },
        },
        "evidence": [{
            "id": issuer.verify_url(&f.code),
            "type": ["Evidence"],
            "name": "Bukti belajar terverifikasi",
            "narrative": format!(
                "Waktu belajar terukur server {} menit; nilai post-test {} (batas lulus {}).",
                f.engaged_minutes, f.score, f.pass_mark
            ),
            "engagedMinutes": f.engaged_minutes,
            "postTestScore": f.score,
            "evidenceDigest": format!("sha256:{}", f.evidence_digest),
        }],
        "credentialStatus": crate::status_list::entry(&issuer.status_list_url(), f.status_index),
    });
    if f.test_data {
        // A certificate from a server on the simulated clock must never pass for real credit.
        credential["testData"] = true.into();
        credential["name"] = format!("[DATA UJI] Sertifikat Pelatihan: {}", f.course_title).into();
    }
    credential
}

/// Reads a string at a JSON pointer of a credential, or "".
pub fn text<'a>(credential: &'a Value, pointer: &str) -> &'a str {
    credential.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// `198503122010011001` → `198503********1001`: the masked form public pages show.
pub fn mask_nip(nip: &str) -> String {
    if nip.len() != 18 || !nip.is_ascii() {
        return "*".repeat(nip.chars().count());
    }
    format!("{}{}{}", &nip[..6], "*".repeat(8), &nip[14..])
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use chrono::TimeZone;

    pub(crate) fn facts() -> Facts {
        Facts {
            id: Uuid::from_u128(7),
            number: "1/PENKOM/BKPSDM/2026".into(),
            code: "ABCDEFGHJK5".into(),
            holder_name: "Siti Rahmawati, S.Kom.".into(),
            holder_nip: "198503122010012001".into(),
            employment_type: "PNS".into(),
            opd: "Dinas Komunikasi dan Informatika".into(),
            course_code: "EPP-01".into(),
            course_title: "Etika Pelayanan Publik".into(),
            course_version: 2,
            content_hash: "ab".repeat(32),
            jp: "2".into(),
            completed_at: Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 0).unwrap(),
            completed_on: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            issued_at: Utc.with_ymd_and_hms(2026, 11, 2, 3, 0, 1).unwrap(),
            score: 85,
            pass_mark: 70,
            engaged_minutes: 95,
            evidence_digest: "cd".repeat(32),
            status_index: 4242,
            test_data: false,
        }
    }

    pub(crate) fn issuer() -> Issuer {
        Issuer {
            did: "did:web:penkom.test".into(),
            public_url: "http://penkom.test".into(),
            name: "BKPSDM Kota Balikpapan".into(),
            place: "Balikpapan".into(),
            signer_name: "Drs. Budi Santoso, M.Si.".into(),
            signer_nip: "197001011995031001".into(),
            signer_position: "Kepala BKPSDM".into(),
        }
    }

    #[test]
    fn the_credential_carries_the_facts_with_the_nip_as_a_string() {
        let c = build(&facts(), &issuer());
        assert_eq!(c["credentialSubject"]["nip"], "198503122010012001");
        assert_eq!(c["credentialSubject"]["jp"], "2");
        assert_eq!(c["credentialSubject"]["creditsEarned"], 2.0);
        assert_eq!(c["credentialStatus"]["statusListIndex"], "4242");
        assert_eq!(c["evidence"][0]["id"], "http://penkom.test/v/ABCDEFGHJK5");
        assert!(c.get("testData").is_none());
        let test = build(&Facts { test_data: true, ..facts() }, &issuer());
        assert_eq!(test["testData"], true);
    }

    #[test]
    fn masks_the_middle_of_a_nip() {
        assert_eq!(mask_nip("198503122010011001"), "198503********1001");
        assert_eq!(mask_nip("123"), "***");
    }
}
