//! The yearly JP requirement of an employment type, effective from a year until replaced.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jp_requirement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `PNS` or `PPPK`.
    pub employment_type: String,
    pub from_year: i32,
    pub target_hundredths: i64,
    /// The most JP that count in a year, if any.
    pub cap_hundredths: Option<i64>,
    /// Whether JP above the cap are still recorded in the ledger (they never count).
    pub record_above_cap: bool,
    pub created_at: DateTimeUtc,
    pub created_by: Option<Uuid>,
}

impl ActiveModelBehavior for ActiveModel {}
