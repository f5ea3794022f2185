//! Which running process works the outbox under a node's name, until when (see
//! `notifications::lease`).

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "node_lease")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub node: String,
    /// A random name of the holding process, new at every start.
    pub holder: String,
    pub expires_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
