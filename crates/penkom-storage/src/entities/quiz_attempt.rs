//! One post-test attempt: the questions it showed, the answers saved, and its grade.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quiz_attempt")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub course_id: Uuid,
    pub version_id: Uuid,
    pub number: i32,
    pub started_at: DateTimeUtc,
    pub deadline: DateTimeUtc,
    /// JSON: the questions shown, in order, with their options in order.
    #[sea_orm(column_type = "Text")]
    pub layout: String,
    /// JSON object: question id → chosen option labels.
    #[sea_orm(column_type = "Text")]
    pub answers: String,
    pub saved_at: Option<DateTimeUtc>,
    pub submitted_at: Option<DateTimeUtc>,
    pub score: Option<i32>,
    pub passed: Option<bool>,
    /// JSON: points per question, written with the grade.
    #[sea_orm(column_type = "Text", nullable)]
    pub grading: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
