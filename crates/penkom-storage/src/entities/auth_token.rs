//! A sign-in token. Only the SHA-256 of the token is stored, so a copy of the database does
//! not let anyone sign in as anybody.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "auth_token")]
pub struct Model {
    /// Hex SHA-256 of the bearer token.
    #[sea_orm(primary_key, auto_increment = false)]
    pub token_hash: String,
    pub person_id: Uuid,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    pub client_addr: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
