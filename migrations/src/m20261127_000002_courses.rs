//! Courses: a course, its immutable versions, their modules and question banks, and
//! enrolments.
//!
//! A published version's rows are never updated or deleted: what a learner completed must
//! always mean the same thing. Only a draft version's rows are edited (by replacing them).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Course {
    Table,
    Id,
    Code,
    OwnerId,
    Source,
    RetiredAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CourseVersion {
    Table,
    Id,
    CourseId,
    Version,
    Status,
    Title,
    Description,
    Topic,
    Organiser,
    Jp,
    PassMark,
    AttemptLimit,
    TimeLimitMinutes,
    QuestionsPerAttempt,
    WaitMinutes,
    McScoring,
    ReviewAfterGrading,
    ContentHash,
    CreatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum CourseModule {
    Table,
    Id,
    VersionId,
    Key,
    Position,
    Title,
    MinEngagedSeconds,
    Required,
    BodyMarkdown,
    VideoUrl,
    VideoSeconds,
}

#[derive(DeriveIden)]
enum Question {
    Table,
    Id,
    VersionId,
    Key,
    Position,
    Kind,
    Text,
    Explanation,
    Options,
}

#[derive(DeriveIden)]
enum Enrollment {
    Table,
    Id,
    PersonId,
    CourseId,
    VersionId,
    EnrolledAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

use crate::fk;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Course::Table)
                    .col(pk_uuid(Course::Id))
                    .col(string_uniq(Course::Code))
                    .col(uuid_null(Course::OwnerId))
                    .col(string(Course::Source))
                    .col(timestamp_with_time_zone_null(Course::RetiredAt))
                    .col(timestamp_with_time_zone(Course::CreatedAt))
                    .col(timestamp_with_time_zone(Course::UpdatedAt))
                    .foreign_key(&mut fk(
                        "fk_course_owner",
                        (Course::Table, Course::OwnerId),
                        (Person::Table, Person::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CourseVersion::Table)
                    .col(pk_uuid(CourseVersion::Id))
                    .col(uuid(CourseVersion::CourseId))
                    .col(integer(CourseVersion::Version))
                    .col(string(CourseVersion::Status))
                    .col(string(CourseVersion::Title))
                    .col(text(CourseVersion::Description))
                    .col(string(CourseVersion::Topic))
                    .col(string(CourseVersion::Organiser))
                    // JP as canonical decimal text: exact on both databases, never a float.
                    .col(string(CourseVersion::Jp))
                    .col(integer(CourseVersion::PassMark))
                    .col(integer(CourseVersion::AttemptLimit))
                    .col(integer(CourseVersion::TimeLimitMinutes))
                    .col(integer(CourseVersion::QuestionsPerAttempt))
                    .col(integer(CourseVersion::WaitMinutes))
                    .col(string(CourseVersion::McScoring))
                    .col(boolean(CourseVersion::ReviewAfterGrading))
                    .col(string_null(CourseVersion::ContentHash))
                    .col(timestamp_with_time_zone(CourseVersion::CreatedAt))
                    .col(timestamp_with_time_zone_null(CourseVersion::PublishedAt))
                    .foreign_key(&mut fk(
                        "fk_course_version_course",
                        (CourseVersion::Table, CourseVersion::CourseId),
                        (Course::Table, Course::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_course_version_number",
            CourseVersion::Table,
            [CourseVersion::CourseId, CourseVersion::Version],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(CourseModule::Table)
                    .col(pk_uuid(CourseModule::Id))
                    .col(uuid(CourseModule::VersionId))
                    .col(string(CourseModule::Key))
                    .col(integer(CourseModule::Position))
                    .col(string(CourseModule::Title))
                    .col(integer(CourseModule::MinEngagedSeconds))
                    .col(boolean(CourseModule::Required))
                    .col(text(CourseModule::BodyMarkdown))
                    .col(string_null(CourseModule::VideoUrl))
                    .col(integer_null(CourseModule::VideoSeconds))
                    .foreign_key(&mut fk(
                        "fk_course_module_version",
                        (CourseModule::Table, CourseModule::VersionId),
                        (CourseVersion::Table, CourseVersion::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_course_module_key",
            CourseModule::Table,
            [CourseModule::VersionId, CourseModule::Key],
            true,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Question::Table)
                    .col(pk_uuid(Question::Id))
                    .col(uuid(Question::VersionId))
                    .col(string(Question::Key))
                    .col(integer(Question::Position))
                    .col(string(Question::Kind))
                    .col(text(Question::Text))
                    .col(text_null(Question::Explanation))
                    // `[{"id", "text", "correct"}]` as JSON text: read and written whole.
                    .col(text(Question::Options))
                    .foreign_key(&mut fk(
                        "fk_question_version",
                        (Question::Table, Question::VersionId),
                        (CourseVersion::Table, CourseVersion::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "uq_question_key", Question::Table, [Question::VersionId, Question::Key], true)
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Enrollment::Table)
                    .col(pk_uuid(Enrollment::Id))
                    .col(uuid(Enrollment::PersonId))
                    .col(uuid(Enrollment::CourseId))
                    .col(uuid(Enrollment::VersionId))
                    .col(timestamp_with_time_zone(Enrollment::EnrolledAt))
                    .foreign_key(&mut fk(
                        "fk_enrollment_person",
                        (Enrollment::Table, Enrollment::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_course",
                        (Enrollment::Table, Enrollment::CourseId),
                        (Course::Table, Course::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_enrollment_version",
                        (Enrollment::Table, Enrollment::VersionId),
                        (CourseVersion::Table, CourseVersion::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_enrollment_person_course",
            Enrollment::Table,
            [Enrollment::PersonId, Enrollment::CourseId],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_tables(
            manager,
            vec![
                Enrollment::Table.into_iden(),
                Question::Table.into_iden(),
                CourseModule::Table.into_iden(),
                CourseVersion::Table.into_iden(),
                Course::Table.into_iden(),
            ],
        )
        .await
    }
}
