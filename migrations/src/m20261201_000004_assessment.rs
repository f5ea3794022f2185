//! Post-test attempts and course completions.
//!
//! An attempt stores the questions and option order it showed, so grading never depends on a
//! bank that may have changed, and so a learner resuming on another device sees the same test.
//! A completion is written once per person and course; its unique index is what makes "exactly
//! one completion" hold under concurrent requests.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QuizAttempt {
    Table,
    Id,
    PersonId,
    CourseId,
    VersionId,
    Number,
    StartedAt,
    Deadline,
    Layout,
    Answers,
    SavedAt,
    SubmittedAt,
    Score,
    Passed,
    Grading,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CourseVersion {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CourseCompletion {
    Table,
    Id,
    PersonId,
    CourseId,
    VersionId,
    AttemptId,
    CompletedAt,
    Evidence,
    EvidenceDigest,
    TestData,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(QuizAttempt::Table)
                    .col(pk_uuid(QuizAttempt::Id))
                    .col(uuid(QuizAttempt::PersonId))
                    .col(uuid(QuizAttempt::CourseId))
                    .col(uuid(QuizAttempt::VersionId))
                    // 1, 2, 3, … per person and course version.
                    .col(integer(QuizAttempt::Number))
                    .col(timestamp_with_time_zone(QuizAttempt::StartedAt))
                    .col(timestamp_with_time_zone(QuizAttempt::Deadline))
                    // JSON: the questions shown, in order, each with its options in order.
                    .col(text(QuizAttempt::Layout))
                    // JSON: question id → chosen option labels.
                    .col(text(QuizAttempt::Answers))
                    .col(timestamp_with_time_zone_null(QuizAttempt::SavedAt))
                    .col(timestamp_with_time_zone_null(QuizAttempt::SubmittedAt))
                    .col(integer_null(QuizAttempt::Score))
                    .col(boolean_null(QuizAttempt::Passed))
                    // JSON: points per question, written with the grade.
                    .col(text_null(QuizAttempt::Grading))
                    .foreign_key(&mut crate::fk(
                        "fk_quiz_attempt_person",
                        (QuizAttempt::Table, QuizAttempt::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .foreign_key(&mut crate::fk(
                        "fk_quiz_attempt_version",
                        (QuizAttempt::Table, QuizAttempt::VersionId),
                        (CourseVersion::Table, CourseVersion::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_quiz_attempt_number",
            QuizAttempt::Table,
            [QuizAttempt::PersonId, QuizAttempt::VersionId, QuizAttempt::Number],
            true,
        )
        .await?;
        // For the anomaly report, which reads passed attempts by submission time.
        crate::index(
            manager,
            "idx_quiz_attempt_passed",
            QuizAttempt::Table,
            [QuizAttempt::Passed, QuizAttempt::SubmittedAt],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(CourseCompletion::Table)
                    .col(pk_uuid(CourseCompletion::Id))
                    .col(uuid(CourseCompletion::PersonId))
                    .col(uuid(CourseCompletion::CourseId))
                    .col(uuid(CourseCompletion::VersionId))
                    .col(uuid(CourseCompletion::AttemptId))
                    .col(timestamp_with_time_zone(CourseCompletion::CompletedAt))
                    // Canonical (RFC 8785) JSON of the evidence summary, as digested.
                    .col(text(CourseCompletion::Evidence))
                    // Hex SHA-256 of `evidence`.
                    .col(string(CourseCompletion::EvidenceDigest))
                    // Completed on a server running the simulated clock.
                    .col(boolean(CourseCompletion::TestData))
                    .foreign_key(&mut crate::fk(
                        "fk_course_completion_person",
                        (CourseCompletion::Table, CourseCompletion::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .foreign_key(&mut crate::fk(
                        "fk_course_completion_version",
                        (CourseCompletion::Table, CourseCompletion::VersionId),
                        (CourseVersion::Table, CourseVersion::Id),
                    ))
                    .foreign_key(&mut crate::fk(
                        "fk_course_completion_attempt",
                        (CourseCompletion::Table, CourseCompletion::AttemptId),
                        (QuizAttempt::Table, QuizAttempt::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_course_completion",
            CourseCompletion::Table,
            [CourseCompletion::PersonId, CourseCompletion::CourseId],
            true,
        )
        .await?;
        crate::index(
            manager,
            "idx_course_completion_time",
            CourseCompletion::Table,
            [CourseCompletion::CompletedAt],
            false,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_tables(manager, vec![CourseCompletion::Table.into_iden(), QuizAttempt::Table.into_iden()])
            .await
    }
}
