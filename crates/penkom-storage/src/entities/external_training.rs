//! Training done outside Penkom, recorded by a verifier, with its evidence file.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "external_training")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub course_name: String,
    pub organiser: String,
    pub start_date: Date,
    pub end_date: Date,
    /// Decimal text.
    pub jp: String,
    pub certificate_number: String,
    /// SIASN training type id (e.g. 16 E-Learning).
    pub training_type: i32,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
    pub reversed_at: Option<DateTimeUtc>,
    pub reversed_by: Option<Uuid>,
    #[sea_orm(column_type = "Text", nullable)]
    pub reversal_reason: Option<String>,
    pub evidence_type: Option<String>,
    pub evidence_name: Option<String>,
    #[sea_orm(column_type = "Blob", nullable)]
    pub evidence: Option<Vec<u8>>,
    pub evidence_sha256: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
