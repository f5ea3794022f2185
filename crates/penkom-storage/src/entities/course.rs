//! A course: the stable identity (its code) behind a series of versions.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub code: String,
    /// The instructor who created it through the API; `None` for courses from content files,
    /// which only administrators (and the files) change.
    pub owner_id: Option<Uuid>,
    /// `content` (from files) or `api`.
    pub source: String,
    /// Retired courses are hidden from the catalog and closed to new enrolments.
    pub retired_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
