//! A checkpoint of a study session: the beats since the previous checkpoint, the time they
//! credited and the time they did not, by reason. The evidence behind every credited second.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_segment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub session_id: Uuid,
    pub person_id: Uuid,
    pub module_id: Uuid,
    /// Local day, `YYYY-MM-DD`.
    pub day: String,
    pub from_at: DateTimeUtc,
    pub to_at: DateTimeUtc,
    pub beats: i32,
    pub too_fast: i32,
    pub credited_ms: i64,
    /// JSON object: rejection reason → milliseconds.
    #[sea_orm(column_type = "Text")]
    pub rejected: String,
}

impl ActiveModelBehavior for ActiveModel {}
