//! A person: any ASN or BKPSDM staff member who signs in, whatever their roles.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The 18-digit NIP, validated by `penkom_core::Nip` before it is stored.
    #[sea_orm(unique)]
    pub nip: Option<String>,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    /// `PNS` or `PPPK`; empty for staff accounts that are not ASN.
    pub employment_type: Option<String>,
    pub opd_id: Option<Uuid>,
    pub rank: Option<String>,
    pub position: Option<String>,
    /// An Argon2id PHC string; `None` until a password is set.
    pub password_hash: Option<String>,
    /// When a one-time password stops working; `None` for a person's own password.
    pub password_expires_at: Option<DateTimeUtc>,
    /// Set for one-time passwords an administrator hands out: the person must choose their
    /// own before doing anything else.
    pub must_change_password: bool,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
