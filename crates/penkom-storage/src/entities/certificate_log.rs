//! One entry of the certificates' hash-chained log. Hashes and ids only, no personal data.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// RFC 3339 text, exactly as hashed.
    pub at: String,
    /// `issue` or `revoke`.
    pub event: String,
    pub certificate_id: Uuid,
    pub document_hash: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

impl ActiveModelBehavior for ActiveModel {}
