//! A learner's completion of a module: written once, never changed.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "module_completion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub module_id: Uuid,
    pub version_id: Uuid,
    pub credited_seconds: i64,
    pub completed_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
