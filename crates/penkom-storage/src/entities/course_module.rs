//! A module of one course version.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_module")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version_id: Uuid,
    /// Stable across versions (the file stem for content files).
    pub key: String,
    /// The module's `order` in the course.
    pub position: i32,
    pub title: String,
    pub min_engaged_seconds: i32,
    pub required: bool,
    #[sea_orm(column_type = "Text")]
    pub body_markdown: String,
    pub video_url: Option<String>,
    pub video_seconds: Option<i32>,
}

impl ActiveModelBehavior for ActiveModel {}
