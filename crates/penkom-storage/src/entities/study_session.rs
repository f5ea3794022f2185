//! A study session: one learner studying one module, from start to end or until superseded.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_session")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub module_id: Uuid,
    pub version_id: Uuid,
    pub started_at: DateTimeUtc,
    pub ended_at: Option<DateTimeUtc>,
    /// `ended` (by the learner), `superseded` (another session started) or `completed`.
    pub end_reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
