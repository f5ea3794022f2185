//! JP earned outside Penkom (classroom training by an OPD, training at another institution),
//! recorded by a verifier. Such a record can be reversed but never edited, and its evidence file
//! can be attached once.

use chrono::{Datelike, NaiveDate};
use penkom_core::{Jp, Nip, UserId};
use penkom_storage::begin_write;
use penkom_storage::entities::{external_training, person};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DbErr, EntityTrait, IntoActiveModel, QueryFilter,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entries::{self, Credit};
use crate::service::Ledger;

/// The largest evidence file accepted.
pub const MAX_EVIDENCE_BYTES: usize = 10 * 1024 * 1024;

/// What a verifier records.
#[derive(Debug, Clone)]
pub struct ExternalInput {
    pub nip: Nip,
    pub course_name: String,
    pub organiser: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub jp: Jp,
    pub certificate_number: String,
    /// SIASN training type id, e.g. 16 (E-Learning), 3 (Teknis).
    pub training_type: i32,
    pub reason: String,
}

/// An evidence file as it was attached.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub bytes: Vec<u8>,
    pub media_type: String,
    /// As given at upload (may be empty).
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExternalError {
    #[error("tidak ada pegawai dengan NIP ini")]
    PersonNotFound,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: &'static str },
    #[error("catatan JP eksternal tidak ditemukan")]
    NotFound,
    #[error("catatan ini sudah dibatalkan")]
    AlreadyReversed,
    #[error("bukti untuk catatan ini sudah dilampirkan")]
    EvidenceExists,
    #[error("belum ada berkas bukti")]
    NoEvidence,
    #[error(
        "berkas bukti tidak cocok dengan yang tercatat (basis data diubah); `penkom audit` menunjukkan rinciannya"
    )]
    EvidenceAltered,
    #[error("pelatihan dengan penyelenggara dan nomor sertifikat ini sudah tercatat untuk pegawai ini")]
    Duplicate,
    #[error("bukti harus berkas PDF, PNG atau JPEG")]
    EvidenceType,
    #[error("berkas bukti paling besar 10 MiB")]
    EvidenceTooLarge,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, ExternalError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || !penkom_core::text::is_single_line(v) {
        return Err(ExternalError::Invalid {
            field,
            message: "wajib diisi, tanpa karakter kendali, dan tidak terlalu panjang",
        });
    }
    Ok(v.to_string())
}

/// The media type of `bytes` if it is a PDF, PNG or JPEG, judged by content, not by label.
pub fn evidence_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some("image/jpeg")
    } else {
        None
    }
}

impl Ledger {
    /// Records external training and credits its JP to the year of its end date.
    pub async fn record_external(
        &self,
        input: ExternalInput,
        by: UserId,
    ) -> Result<external_training::Model, ExternalError> {
        let today = self.zone.to_local(self.clock.now()).date_naive();
        if crate::service::check_year(input.end_date.year()).is_err() {
            return Err(ExternalError::Invalid {
                field: "end_date",
                message: "tahun di luar rentang 2000–2100",
            });
        }
        if input.start_date > input.end_date {
            return Err(ExternalError::Invalid {
                field: "start_date",
                message: "tidak boleh setelah end_date",
            });
        }
        if input.end_date > today {
            return Err(ExternalError::Invalid { field: "end_date", message: "tidak boleh di masa depan" });
        }
        if input.jp.hundredths() == 0 {
            return Err(ExternalError::Invalid { field: "jp", message: "harus lebih dari 0" });
        }
        if !(1..=99).contains(&input.training_type) {
            return Err(ExternalError::Invalid {
                field: "training_type",
                message: "kode jenis diklat SIASN 1–99",
            });
        }
        let course_name = text("course_name", &input.course_name, 300)?;
        let organiser = text("organiser", &input.organiser, 300)?;
        let certificate_number = text("certificate_number", &input.certificate_number, 100)?;
        let reason = text("reason", &input.reason, 500)?;
        let txn = begin_write(&self.db).await?;
        // The log's lock before anything else (see `record_log::LOG_LOCK`).
        record_log::lock(&txn).await?;
        let who = person::Entity::find()
            .filter(person::Column::Nip.eq(input.nip.as_str()))
            .one(&txn)
            .await?
            .ok_or(ExternalError::PersonNotFound)?;
        // Whole seconds, as the log's digest states it.
        let now = penkom_core::clock::whole_seconds(self.clock.now());
        let row = external_training::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(who.id),
            course_name: Set(course_name),
            organiser: Set(organiser),
            start_date: Set(input.start_date),
            end_date: Set(input.end_date),
            jp: Set(input.jp.to_string()),
            certificate_number: Set(certificate_number),
            training_type: Set(input.training_type),
            reason: Set(reason.clone()),
            recorded_by: Set(by.0),
            recorded_at: Set(now),
            reversed_at: Set(None),
            reversed_by: Set(None),
            reversal_reason: Set(None),
            evidence_type: Set(None),
            evidence_name: Set(None),
            evidence: Set(None),
            evidence_sha256: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if penkom_storage::is_unique_violation(&e) { ExternalError::Duplicate } else { e.into() }
        })?;
        record_log::append(
            &txn,
            now,
            record_log::event::EXTERNAL,
            row.id,
            &record_log::digest::external(&row),
        )
        .await?;
        entries::credit(
            &txn,
            Credit {
                person: who.id,
                employment_type: who.employment_type.as_deref(),
                year: input.end_date.year(),
                kind: entries::EXTERNAL,
                source_id: row.id,
                amount: input.jp.hundredths(),
                at: now,
                by: Some(by.0),
                note: Some(reason),
            },
        )
        .await?;
        txn.commit().await?;
        Ok(row)
    }

    pub async fn external(&self, id: Uuid) -> Result<external_training::Model, ExternalError> {
        external_training::Entity::find_by_id(id).one(&self.db).await?.ok_or(ExternalError::NotFound)
    }

    /// The evidence file of an external record, only as it was attached: the stored bytes must
    /// hash to the stored digest, and the record log must vouch for that digest (and the file's
    /// name and media type). A file swapped in the database is refused, never handed out as
    /// evidence.
    pub async fn evidence(&self, id: Uuid) -> Result<Evidence, ExternalError> {
        let row = self.external(id).await?;
        let (Some(bytes), Some(sha), Some(media_type)) =
            (row.evidence.clone(), row.evidence_sha256.as_deref(), row.evidence_type.clone())
        else {
            return Err(ExternalError::NoEvidence);
        };
        let log = record_log::store::of_subjects(&self.db, &[id]).await?;
        let entries = log.get(&id).map(Vec::as_slice).unwrap_or_default();
        let vouched = record_log::digest::evidence_of(&row)
            .is_some_and(|d| record_log::Logged(entries).commits(record_log::event::EVIDENCE, &d));
        if !vouched || record_log::chain::sha256_hex(&bytes) != sha {
            return Err(ExternalError::EvidenceAltered);
        }
        Ok(Evidence { bytes, media_type, name: row.evidence_name.unwrap_or_default() })
    }

    /// Attaches the evidence file (once).
    pub async fn attach_evidence(
        &self,
        id: Uuid,
        name: &str,
        bytes: Vec<u8>,
    ) -> Result<external_training::Model, ExternalError> {
        if bytes.len() > MAX_EVIDENCE_BYTES {
            return Err(ExternalError::EvidenceTooLarge);
        }
        let media = evidence_type(&bytes).ok_or(ExternalError::EvidenceType)?;
        let txn = begin_write(&self.db).await?;
        // Two uploads at once must not both see "no evidence yet" and overwrite each other; the
        // log's lock, which the attachment's entry needs anyway, queues them.
        record_log::lock(&txn).await?;
        let row =
            external_training::Entity::find_by_id(id).one(&txn).await?.ok_or(ExternalError::NotFound)?;
        if row.evidence.is_some() {
            return Err(ExternalError::EvidenceExists);
        }
        let mut active = row.into_active_model();
        active.evidence_sha256 = Set(Some(hex::encode(Sha256::digest(&bytes))));
        active.evidence_type = Set(Some(media.to_string()));
        active.evidence_name =
            Set(Some(name.chars().filter(|c| penkom_core::text::allowed(*c)).take(200).collect()));
        active.evidence = Set(Some(bytes));
        let row = active.update(&txn).await?;
        if let Some(digest) = record_log::digest::evidence_of(&row) {
            let now = penkom_core::clock::whole_seconds(self.clock.now());
            record_log::append(&txn, now, record_log::event::EVIDENCE, id, &digest).await?;
        }
        txn.commit().await?;
        Ok(row)
    }

    /// Reverses an external record: a negative ledger entry, and the record marked reversed.
    pub async fn reverse_external(
        &self,
        id: Uuid,
        reason: &str,
        by: UserId,
    ) -> Result<external_training::Model, ExternalError> {
        let reason = text("reason", reason, 500)?;
        let txn = begin_write(&self.db).await?;
        // Two reversals at once must not both pass the check below: the log's lock queues them.
        record_log::lock(&txn).await?;
        let row =
            external_training::Entity::find_by_id(id).one(&txn).await?.ok_or(ExternalError::NotFound)?;
        if row.reversed_at.is_some() {
            return Err(ExternalError::AlreadyReversed);
        }
        let now = penkom_core::clock::whole_seconds(self.clock.now());
        let mut active = row.into_active_model();
        active.reversed_at = Set(Some(now));
        active.reversed_by = Set(Some(by.0));
        active.reversal_reason = Set(Some(reason.clone()));
        let row = active.update(&txn).await?;
        if let Some(digest) = record_log::digest::external_reversal_of(&row) {
            record_log::append(&txn, now, record_log::event::EXTERNAL_REVERSE, id, &digest).await?;
        }
        entries::reverse(&txn, entries::EXTERNAL, id, now, Some(by.0), &reason).await?;
        txn.commit().await?;
        Ok(row)
    }
}
