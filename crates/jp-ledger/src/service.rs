//! The ledger service: requirements, a person's yearly statement.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use penkom_core::{Clock, Jp, LocalZone, UserId};
use penkom_storage::entities::{
    certificate, external_training, jp_balance, jp_ledger_entry, jp_requirement, person,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::OnConflict,
};
use serde::Serialize;
use uuid::Uuid;

use crate::policy::{self, Requirement};
use crate::{balance, entries};

#[derive(Clone)]
pub struct Ledger {
    pub(crate) db: DatabaseConnection,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) zone: LocalZone,
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("orang tidak ditemukan")]
    PersonNotFound,
    #[error("tahun di luar rentang 2000–2100")]
    InvalidYear,
    #[error("jenis kepegawaian harus PNS atau PPPK")]
    InvalidEmploymentType,
    #[error("target dan batas JP harus 0–1000, dan batas tidak kurang dari target")]
    InvalidRequirement,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// One line of a statement.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatementEntry {
    pub id: Uuid,
    /// `certificate`, `certificate_reversal`, `external` or `external_reversal`.
    pub kind: String,
    /// The certificate or external record.
    pub source_id: Uuid,
    /// What the entry counts, as decimal text (negative for a reversal).
    pub jp: String,
    /// The JP of the source itself.
    pub source_jp: String,
    /// What the source is: certificate number and course, or the external training.
    pub description: String,
    /// Recorded by a verifier from outside Penkom.
    pub external: bool,
    pub note: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub recorded_by: Option<Uuid>,
    /// Whether the record log vouches for this entry. An entry it does not vouch for (edited in
    /// the database, or written there behind Penkom's back) is shown but not counted.
    pub logged: bool,
}

/// A person's year: target, credited, what remains, and every entry.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JpStatement {
    pub year: i32,
    pub employment_type: Option<String>,
    /// Decimal text; absent for people without a requirement.
    pub target: Option<String>,
    pub cap: Option<String>,
    /// The sum of the year's entries that the record log vouches for.
    pub credited: String,
    /// What counts towards the target (the credited JP, up to the cap).
    pub counted: String,
    pub remaining: Option<String>,
    /// `met` or `not_met`; absent without a requirement.
    pub status: Option<String>,
    /// What the integrity checks found, empty when all is well: `entry_not_logged` (an entry the
    /// log does not vouch for, not counted), `entries_missing` (logged entries were deleted),
    /// `balance_altered` (the stored yearly balance was edited). The audit names each one.
    pub problems: Vec<String>,
    pub entries: Vec<StatementEntry>,
}

/// The calendar years the ledger keeps.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

pub fn check_year(year: i32) -> Result<i32, LedgerError> {
    if YEARS.contains(&year) { Ok(year) } else { Err(LedgerError::InvalidYear) }
}

impl Ledger {
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, zone: LocalZone) -> Self {
        Self { db, clock, zone }
    }

    /// The current local year.
    pub fn this_year(&self) -> i32 {
        self.zone.year_of(self.clock.now())
    }

    /// The requirement of each employment type in force for `year`, and every configured row.
    pub async fn requirements(&self, year: i32) -> Result<(Vec<Requirement>, Vec<Requirement>), LedgerError> {
        let configured = entries::configured(&self.db).await?;
        let effective =
            ["PNS", "PPPK"].iter().filter_map(|t| policy::effective(&configured, t, year)).collect();
        Ok((effective, configured))
    }

    /// Sets the requirement of `employment_type` from `from_year` on (replacing a row for the
    /// same year). Earlier years keep the requirement they had.
    pub async fn set_requirement(
        &self,
        employment_type: &str,
        from_year: i32,
        target: Jp,
        cap: Option<Jp>,
        record_above_cap: bool,
        by: UserId,
    ) -> Result<Requirement, LedgerError> {
        check_year(from_year)?;
        if policy::default_for(employment_type).is_none() {
            return Err(LedgerError::InvalidEmploymentType);
        }
        if cap.is_some_and(|c| c < target) {
            return Err(LedgerError::InvalidRequirement);
        }
        let row = jp_requirement::ActiveModel {
            id: Set(Uuid::now_v7()),
            employment_type: Set(employment_type.to_string()),
            from_year: Set(from_year),
            target_hundredths: Set(target.hundredths()),
            cap_hundredths: Set(cap.map(Jp::hundredths)),
            record_above_cap: Set(record_above_cap),
            created_at: Set(self.clock.now()),
            created_by: Set(Some(by.0)),
        };
        // The audit trail's row in the same transaction: the change exists exactly when its
        // record does.
        let txn = penkom_storage::begin_write(&self.db).await?;
        jp_requirement::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    jp_requirement::Column::EmploymentType,
                    jp_requirement::Column::FromYear,
                ])
                .update_columns([
                    jp_requirement::Column::TargetHundredths,
                    jp_requirement::Column::CapHundredths,
                    jp_requirement::Column::RecordAboveCap,
                    jp_requirement::Column::CreatedAt,
                    jp_requirement::Column::CreatedBy,
                ])
                .to_owned(),
            )
            .exec(&txn)
            .await?;
        penkom_storage::audit::record(
            &txn,
            self.clock.now(),
            Some(by),
            "jp_requirement_set",
            Some(&format!("{employment_type}/{from_year}")),
            None,
            None,
        )
        .await?;
        txn.commit().await?;
        Ok(Requirement {
            employment_type: employment_type.to_string(),
            from_year,
            target: target.hundredths(),
            cap: cap.map(Jp::hundredths),
            record_above_cap,
            configured: true,
        })
    }

    /// `person`'s statement for `year`.
    pub async fn statement(&self, person: Uuid, year: i32) -> Result<JpStatement, LedgerError> {
        check_year(year)?;
        // Independent reads at once: each is a round trip on PostgreSQL, and a learner's
        // dashboard waits for this statement.
        let rows = jp_ledger_entry::Entity::find()
            .filter(jp_ledger_entry::Column::PersonId.eq(person))
            .filter(jp_ledger_entry::Column::Year.eq(year))
            .order_by_asc(jp_ledger_entry::Column::RecordedAt)
            .order_by_asc(jp_ledger_entry::Column::Id)
            .all(&self.db);
        let (who, rows, configured, stored) = tokio::try_join!(
            person::Entity::find_by_id(person).one(&self.db),
            rows,
            entries::configured(&self.db),
            jp_balance::Entity::find_by_id((person, year)).one(&self.db),
        )?;
        let who = who.ok_or(LedgerError::PersonNotFound)?;
        let rows = balance::check(&self.db, rows).await?;
        let descriptions = self.describe(&rows).await?;
        // The total is the year's sealed balance, as the compliance report reads it, or, when the
        // balance was edited (or there is none), what the logged entries add up to. Entries the
        // log does not vouch for never count, and the statement says what it found.
        let verified = balance::verified(&rows);
        let total =
            stored.as_ref().filter(|b| balance::sealed(b)).map_or(verified.total, |b| b.total_hundredths);
        let mut problems = Vec::new();
        if verified.unlogged > 0 {
            problems.push("entry_not_logged".to_string());
        }
        match &stored {
            Some(b) if !balance::sealed(b) => problems.push("balance_altered".to_string()),
            // Fewer entries than the balance counted: some were deleted.
            Some(b) if b.entries > verified.entries + verified.unlogged => {
                problems.push("entries_missing".to_string())
            }
            _ => {}
        }
        let requirement =
            who.employment_type.as_deref().and_then(|t| policy::effective(&configured, t, year));
        let fmt = Jp::format_hundredths;
        Ok(JpStatement {
            year,
            employment_type: who.employment_type.clone(),
            target: requirement.as_ref().map(|r| fmt(r.target)),
            cap: requirement.as_ref().and_then(|r| r.cap.map(fmt)),
            credited: fmt(total),
            counted: fmt(requirement.as_ref().map_or(total, |r| r.counted(total))),
            remaining: requirement.as_ref().map(|r| fmt((r.target - r.counted(total)).max(0))),
            status: requirement.as_ref().map(|r| if r.met(total) { "met" } else { "not_met" }.to_string()),
            problems,
            entries: rows
                .into_iter()
                .map(|(r, logged)| StatementEntry {
                    logged,
                    description: descriptions.get(&r.source_id).cloned().unwrap_or_default(),
                    external: r.kind.starts_with(entries::EXTERNAL),
                    id: r.id,
                    kind: r.kind,
                    source_id: r.source_id,
                    jp: fmt(r.jp_hundredths),
                    source_jp: fmt(r.source_jp_hundredths),
                    note: r.note,
                    recorded_at: r.recorded_at,
                    recorded_by: r.recorded_by,
                })
                .collect(),
        })
    }

    /// What each entry's source is, for people reading a statement.
    async fn describe(
        &self,
        rows: &[(jp_ledger_entry::Model, bool)],
    ) -> Result<HashMap<Uuid, String>, DbErr> {
        let ids: Vec<Uuid> = rows.iter().map(|(r, _)| r.source_id).collect();
        let mut out = HashMap::new();
        let certificates =
            certificate::Entity::find().filter(certificate::Column::Id.is_in(ids.clone())).all(&self.db);
        // Only the columns shown: the evidence file itself may be megabytes.
        let external = external_training::Entity::find()
            .select_only()
            .columns([
                external_training::Column::Id,
                external_training::Column::CourseName,
                external_training::Column::Organiser,
                external_training::Column::CertificateNumber,
            ])
            .filter(external_training::Column::Id.is_in(ids))
            .into_tuple::<(Uuid, String, String, String)>()
            .all(&self.db);
        let (certificates, external) = tokio::try_join!(certificates, external)?;
        for c in certificates {
            let credential: serde_json::Value = serde_json::from_str(&c.credential).unwrap_or_default();
            let title = credential
                .pointer("/credentialSubject/achievement/name")
                .and_then(|v| v.as_str())
                .unwrap_or("");
            out.insert(c.id, format!("Sertifikat {} — {title}", c.number));
        }
        for (id, course, organiser, number) in external {
            out.insert(id, format!("{course} ({organiser}), sertifikat {number}"));
        }
        Ok(out)
    }
}
