//! A post-test question of one course version, with its answer key. Never sent to a learner
//! as stored: learner views are built without `correct` and `explanation`.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "question")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version_id: Uuid,
    pub key: String,
    /// Position in the bank.
    pub position: i32,
    /// `single_choice`, `multiple_choice` or `true_false`.
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub explanation: Option<String>,
    /// JSON `[{"id", "text", "correct"}]`.
    #[sea_orm(column_type = "Text")]
    pub options: String,
}

impl ActiveModelBehavior for ActiveModel {}
