//! One entry of the hash-chained log of every record that decides JP (see the `record-log`
//! crate). Hashes and ids only, no personal data.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "record_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub seq: i64,
    /// RFC 3339 text, exactly as hashed.
    pub at: String,
    /// `issue`, `revoke`, `ledger`, `external`, `evidence` or `external_reverse`.
    pub event: String,
    /// The certificate, ledger entry or external record the event is about.
    pub subject_id: Uuid,
    pub document_hash: String,
    pub prev_hash: String,
    pub entry_hash: String,
}

impl ActiveModelBehavior for ActiveModel {}
