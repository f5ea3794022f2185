//! One version of a course. Published versions are immutable; a course has at most one draft.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub course_id: Uuid,
    /// 1, 2, 3, … per course.
    pub version: i32,
    /// `draft` or `published`.
    pub status: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub topic: String,
    pub organiser: String,
    /// Canonical decimal text, e.g. `1.5`.
    pub jp: String,
    pub pass_mark: i32,
    pub attempt_limit: i32,
    pub time_limit_minutes: i32,
    pub questions_per_attempt: i32,
    pub wait_minutes: i32,
    /// `all_or_nothing` or `partial`.
    pub mc_scoring: String,
    pub review_after_grading: bool,
    /// SHA-256 of the canonical JSON of the version; set when published.
    pub content_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
