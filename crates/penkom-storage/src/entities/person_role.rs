//! The roles a person holds, one row per role.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person_role")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub person_id: Uuid,
    /// A `penkom_core::Role` in its `snake_case` form.
    #[sea_orm(primary_key, auto_increment = false)]
    pub role: String,
}

impl ActiveModelBehavior for ActiveModel {}
