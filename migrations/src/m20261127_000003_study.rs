//! Study tracking: sessions, their checkpointed evidence (segments) and module completions.
//!
//! Heartbeats do not write here; the live store holds a running stream, and a checkpoint writes
//! one segment (beats, credited and rejected time by reason) at least every 60 s of credit and at
//! end or completion.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StudySession {
    Table,
    Id,
    PersonId,
    ModuleId,
    VersionId,
    StartedAt,
    EndedAt,
    EndReason,
}

#[derive(DeriveIden)]
enum StudySegment {
    Table,
    Id,
    SessionId,
    PersonId,
    ModuleId,
    Day,
    FromAt,
    ToAt,
    Beats,
    TooFast,
    CreditedMs,
    Rejected,
}

#[derive(DeriveIden)]
enum ModuleCompletion {
    Table,
    Id,
    PersonId,
    ModuleId,
    VersionId,
    CreditedSeconds,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StudySession::Table)
                    .col(pk_uuid(StudySession::Id))
                    .col(uuid(StudySession::PersonId))
                    .col(uuid(StudySession::ModuleId))
                    .col(uuid(StudySession::VersionId))
                    .col(timestamp_with_time_zone(StudySession::StartedAt))
                    .col(timestamp_with_time_zone_null(StudySession::EndedAt))
                    .col(string_null(StudySession::EndReason))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "idx_study_session_person",
            StudySession::Table,
            [StudySession::PersonId, StudySession::StartedAt],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(StudySegment::Table)
                    .col(pk_uuid(StudySegment::Id))
                    .col(uuid(StudySegment::SessionId))
                    .col(uuid(StudySegment::PersonId))
                    .col(uuid(StudySegment::ModuleId))
                    // Local calendar day (YYYY-MM-DD) the credit counts for, for the daily cap.
                    .col(string(StudySegment::Day))
                    .col(timestamp_with_time_zone(StudySegment::FromAt))
                    .col(timestamp_with_time_zone(StudySegment::ToAt))
                    .col(integer(StudySegment::Beats))
                    .col(integer(StudySegment::TooFast))
                    .col(big_integer(StudySegment::CreditedMs))
                    // JSON `{"idle_gap": ms, …}`: rejected time by reason.
                    .col(text(StudySegment::Rejected))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "idx_study_segment_person_module",
            StudySegment::Table,
            [StudySegment::PersonId, StudySegment::ModuleId],
            false,
        )
        .await?;
        crate::index(
            manager,
            "idx_study_segment_person_day",
            StudySegment::Table,
            [StudySegment::PersonId, StudySegment::Day],
            false,
        )
        .await?;
        crate::index(
            manager,
            "uq_study_segment_session_from",
            StudySegment::Table,
            [StudySegment::SessionId, StudySegment::FromAt],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ModuleCompletion::Table)
                    .col(pk_uuid(ModuleCompletion::Id))
                    .col(uuid(ModuleCompletion::PersonId))
                    .col(uuid(ModuleCompletion::ModuleId))
                    .col(uuid(ModuleCompletion::VersionId))
                    .col(big_integer(ModuleCompletion::CreditedSeconds))
                    .col(timestamp_with_time_zone(ModuleCompletion::CompletedAt))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_module_completion",
            ModuleCompletion::Table,
            [ModuleCompletion::PersonId, ModuleCompletion::ModuleId],
            true,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_tables(
            manager,
            vec![
                ModuleCompletion::Table.into_iden(),
                StudySegment::Table.into_iden(),
                StudySession::Table.into_iden(),
            ],
        )
        .await
    }
}
