//! A learner's completion of a course on one version: written once, never changed. Its evidence
//! is stored as the exact canonical JSON that was digested, so the digest can be recomputed.

use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "course_completion")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub person_id: Uuid,
    pub course_id: Uuid,
    pub version_id: Uuid,
    /// The passing post-test attempt.
    pub attempt_id: Uuid,
    pub completed_at: DateTimeUtc,
    /// Canonical (RFC 8785) JSON of the evidence summary.
    #[sea_orm(column_type = "Text")]
    pub evidence: String,
    /// Hex SHA-256 of `evidence`.
    pub evidence_digest: String,
    /// Completed on a server running the simulated clock: test data, never real credit.
    pub test_data: bool,
}

impl ActiveModelBehavior for ActiveModel {}
