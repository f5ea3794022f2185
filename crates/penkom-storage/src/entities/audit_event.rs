//! The audit trail: who did what to whom, and when. UU 27/2022 (personal data protection)
//! expects an agency to show who saw or changed personal data, so these rows are only ever
//! appended.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub at: DateTimeUtc,
    pub actor_id: Option<Uuid>,
    /// A stable `snake_case` name such as `sign_in` or `people_import`.
    pub action: String,
    pub subject: Option<String>,
    /// JSON with the details of the event.
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub client_addr: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
