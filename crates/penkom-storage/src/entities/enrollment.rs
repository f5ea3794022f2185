//! A learner's enrolment in a course, fixed to the version they enrolled on.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrollment")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub course_id: Uuid,
    pub version_id: Uuid,
    pub enrolled_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
