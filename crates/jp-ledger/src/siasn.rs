//! The export of issued certificates for entry into SIASN (BKN's national record), with the
//! fields its course record (riwayat kursus) asks for, plus the NIP.

use penkom_storage::entities::{certificate, course_version, enrollment};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use crate::service::{Ledger, LedgerError, check_year};

/// SIASN's training type for Penkom's courses (jenisDiklatId 16, E-Learning).
pub const TRAINING_TYPE_E_LEARNING: i32 = 16;

#[derive(Debug, Clone, Serialize)]
pub struct SiasnRow {
    pub nip: String,
    pub nama: String,
    /// namaKursus
    pub course_name: String,
    /// institusiPenyelenggara
    pub organiser: String,
    /// jenisDiklatId
    pub training_type_id: i32,
    pub training_type: String,
    /// tanggalKursus (local date of enrolment)
    pub start_date: String,
    /// tanggalSelesaiKursus (local date of completion)
    pub end_date: String,
    /// tahunKursus
    pub year: i32,
    /// jumlahJam (JP)
    pub jp: String,
    /// nomorSertipikat
    pub certificate_number: String,
    pub location: String,
}

impl Ledger {
    /// Every certificate credited to `year` that is not revoked.
    pub async fn siasn_export(&self, year: i32) -> Result<Vec<SiasnRow>, LedgerError> {
        check_year(year)?;
        let certs = certificate::Entity::find()
            .filter(certificate::Column::Year.eq(year))
            .filter(certificate::Column::RevokedAt.is_null())
            .order_by_asc(certificate::Column::Seq)
            .all(&self.db)
            .await?;
        let versions: std::collections::HashMap<uuid::Uuid, course_version::Model> =
            course_version::Entity::find()
                .filter(
                    course_version::Column::Id.is_in(certs.iter().map(|c| c.version_id).collect::<Vec<_>>()),
                )
                .all(&self.db)
                .await?
                .into_iter()
                .map(|v| (v.id, v))
                .collect();
        let enrolments: std::collections::HashMap<(uuid::Uuid, uuid::Uuid), chrono::DateTime<chrono::Utc>> =
            enrollment::Entity::find()
                .filter(
                    enrollment::Column::PersonId.is_in(certs.iter().map(|c| c.person_id).collect::<Vec<_>>()),
                )
                .all(&self.db)
                .await?
                .into_iter()
                .map(|e| ((e.person_id, e.course_id), e.enrolled_at))
                .collect();
        let local = |t: chrono::DateTime<chrono::Utc>| self.zone.to_local(t).date_naive().to_string();
        Ok(certs
            .into_iter()
            .map(|c| {
                let credential: serde_json::Value = serde_json::from_str(&c.credential).unwrap_or_default();
                let s = |p: &str| credential.pointer(p).and_then(|v| v.as_str()).unwrap_or("").to_string();
                let version = versions.get(&c.version_id);
                SiasnRow {
                    nip: s("/credentialSubject/nip"),
                    nama: s("/credentialSubject/name"),
                    course_name: s("/credentialSubject/achievement/name"),
                    organiser: version.map(|v| v.organiser.clone()).unwrap_or_else(|| s("/issuer/name")),
                    training_type_id: TRAINING_TYPE_E_LEARNING,
                    training_type: "E-Learning".into(),
                    start_date: enrolments
                        .get(&(c.person_id, c.course_id))
                        .map_or_else(|| local(c.completed_at), |t| local(*t)),
                    end_date: local(c.completed_at),
                    year: c.year,
                    jp: c.jp.clone(),
                    certificate_number: c.number.clone(),
                    location: "Daring".into(),
                }
            })
            .collect())
    }
}
