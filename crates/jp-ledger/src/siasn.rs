//! The export of issued certificates for entry into SIASN (BKN's national record), with the
//! fields its course record (riwayat kursus) asks for, plus the NIP.

use penkom_storage::entities::{certificate, course_version, enrollment};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::service::{Ledger, LedgerError, check_year};

/// SIASN's training type for Penkom's courses (jenisDiklatId 16, E-Learning).
pub const TRAINING_TYPE_E_LEARNING: i32 = 16;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// Certificates read at a time: one page, its versions and its enrolments are in memory at
/// once, never the whole year.
const PAGE: u64 = 1000;

impl Ledger {
    /// Every certificate credited to `year` that is not revoked, whole. Certificates the record
    /// log does not vouch for are left out (and `penkom audit` names them).
    pub async fn siasn_export(&self, year: i32) -> Result<Vec<SiasnRow>, LedgerError> {
        let mut rows = self.siasn_rows(year)?;
        let mut out = Vec::new();
        while let Some(row) = rows.recv().await {
            out.push(row?);
        }
        Ok(out)
    }

    /// The same rows as a stream, in certificate order, read a page at a time. A failure
    /// arrives as the last item; dropping the receiver stops the work.
    pub fn siasn_rows(
        &self,
        year: i32,
    ) -> Result<tokio::sync::mpsc::Receiver<Result<SiasnRow, LedgerError>>, LedgerError> {
        check_year(year)?;
        let (tx, rx) = tokio::sync::mpsc::channel(PAGE as usize);
        let this = self.clone();
        tokio::spawn(async move {
            let mut after = i64::MIN;
            loop {
                match this.siasn_page(year, after).await {
                    Ok((rows, last)) => {
                        for row in rows {
                            if tx.send(Ok(row)).await.is_err() {
                                return;
                            }
                        }
                        match last {
                            Some(seq) => after = seq,
                            None => return,
                        }
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                }
            }
        });
        Ok(rx)
    }

    /// The page of rows after certificate `after` (by sequence), and the last sequence in it
    /// (`None` when this was the last page).
    async fn siasn_page(&self, year: i32, after: i64) -> Result<(Vec<SiasnRow>, Option<i64>), LedgerError> {
        let certs = certificate::Entity::find()
            .filter(certificate::Column::Year.eq(year))
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(certificate::Column::Seq.gt(after))
            .order_by_asc(certificate::Column::Seq)
            .limit(PAGE)
            .all(&self.db)
            .await?;
        let last = (certs.len() as u64 == PAGE).then(|| certs.last().map(|c| c.seq)).flatten();
        // Only certificates the record log vouches for, as issued and not revoked: a row moved to
        // this year, or a revocation erased from its row, must not reach the national record.
        let ids: Vec<uuid::Uuid> = certs.iter().map(|c| c.id).collect();
        let log = record_log::store::of_subjects(&self.db, &ids).await?;
        let certs: Vec<_> = certs
            .into_iter()
            .filter(|c| {
                let logged = record_log::Logged(log.get(&c.id).map_or(&[][..], Vec::as_slice));
                let ok = logged.commits(record_log::event::ISSUE, &record_log::digest::certificate(c))
                    && !logged.mentions(record_log::event::REVOKE);
                if !ok {
                    tracing::warn!(certificate = %c.id, "left out of the SIASN export: the record log does not vouch for it");
                }
                ok
            })
            .collect();
        // Looked up in chunks of distinct ids: one bind parameter per id, and databases cap those.
        let mut version_ids: Vec<uuid::Uuid> = certs.iter().map(|c| c.version_id).collect();
        version_ids.sort();
        version_ids.dedup();
        let mut versions = std::collections::HashMap::new();
        for chunk in version_ids.chunks(1000) {
            for v in course_version::Entity::find()
                .filter(course_version::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                versions.insert(v.id, v);
            }
        }
        let mut person_ids: Vec<uuid::Uuid> = certs.iter().map(|c| c.person_id).collect();
        person_ids.sort();
        person_ids.dedup();
        let course_ids: std::collections::HashSet<uuid::Uuid> = certs.iter().map(|c| c.course_id).collect();
        let mut enrolments = std::collections::HashMap::new();
        for chunk in person_ids.chunks(1000) {
            for e in enrollment::Entity::find()
                .filter(enrollment::Column::PersonId.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                if course_ids.contains(&e.course_id) {
                    enrolments.insert((e.person_id, e.course_id), e.enrolled_at);
                }
            }
        }
        let local = |t: chrono::DateTime<chrono::Utc>| self.zone.to_local(t).date_naive().to_string();
        let rows = certs
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
            .collect();
        Ok((rows, last))
    }
}
