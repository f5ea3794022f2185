//! An issued certificate. The signed credential is stored verbatim; the other columns are for
//! finding and listing it. Only the revocation columns ever change.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificate")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub completion_id: Uuid,
    pub person_id: Uuid,
    pub course_id: Uuid,
    pub version_id: Uuid,
    #[sea_orm(unique)]
    pub number: String,
    /// Local year of completion.
    pub year: i32,
    /// Sequence within the year.
    pub seq: i64,
    /// Verification code, canonical form.
    #[sea_orm(unique)]
    pub code: String,
    /// Bit of this certificate in the revocation status list.
    #[sea_orm(unique)]
    pub status_index: i32,
    /// Decimal text.
    pub jp: String,
    pub completed_at: DateTimeUtc,
    pub issued_at: DateTimeUtc,
    /// The signing key's id.
    pub kid: String,
    /// The signed credential, exactly as issued.
    #[sea_orm(column_type = "Text")]
    pub credential: String,
    pub revoked_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub revocation_reason: Option<String>,
    pub revoked_by: Option<Uuid>,
    pub test_data: bool,
}

impl ActiveModelBehavior for ActiveModel {}
