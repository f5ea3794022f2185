//! One entry of the yearly JP ledger. Never updated or deleted; reversals are new entries.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jp_ledger_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    /// Calendar year in the local time zone.
    pub year: i32,
    /// `certificate`, `certificate_reversal`, `external` or `external_reversal`.
    pub kind: String,
    /// The certificate or external training record.
    pub source_id: Uuid,
    /// Hundredths of a JP this entry counts (negative for a reversal).
    pub jp_hundredths: i64,
    /// Hundredths of a JP of the source itself.
    pub source_jp_hundredths: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
