//! A person's JP balance for one year: the sum and count of the year's ledger entries, kept
//! with every entry written so that reports read one row per person, and sealed so that an
//! edit of it shows.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jp_balance")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub year: i32,
    pub total_hundredths: i64,
    pub entries: i64,
    /// `record_log::digest::balance_seal` of the fields above.
    pub seal: String,
}

impl ActiveModelBehavior for ActiveModel {}
