//! The yearly JP ledger, the requirements policy, JP earned outside Penkom, and the e-mail
//! outbox.
//!
//! Ledger entries are only ever added: a revocation or a reversal is a new entry with a negative
//! amount, and the unique index on (kind, source) makes each credit and each reversal happen at
//! most once. Amounts are integer hundredths of a JP so that sums are exact in SQL.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum JpRequirement {
    Table,
    Id,
    EmploymentType,
    FromYear,
    TargetHundredths,
    CapHundredths,
    RecordAboveCap,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum JpLedgerEntry {
    Table,
    Id,
    PersonId,
    Year,
    Kind,
    SourceId,
    JpHundredths,
    SourceJpHundredths,
    Note,
    RecordedAt,
    RecordedBy,
}

#[derive(DeriveIden)]
enum ExternalTraining {
    Table,
    Id,
    PersonId,
    CourseName,
    Organiser,
    StartDate,
    EndDate,
    Jp,
    CertificateNumber,
    TrainingType,
    Reason,
    RecordedBy,
    RecordedAt,
    ReversedAt,
    ReversedBy,
    ReversalReason,
    EvidenceType,
    EvidenceName,
    Evidence,
    EvidenceSha256,
}

#[derive(DeriveIden)]
enum EmailOutbox {
    Table,
    Id,
    MessageId,
    DedupeKey,
    Recipient,
    Subject,
    TextBody,
    HtmlBody,
    Attachment,
    AttachmentName,
    CreatedAt,
    NextAttemptAt,
    Attempts,
    ClaimedUntil,
    SentAt,
    LastError,
}

#[derive(DeriveIden)]
enum AppSetting {
    Table,
    Key,
    Value,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(JpRequirement::Table)
                    .col(pk_uuid(JpRequirement::Id))
                    .col(string(JpRequirement::EmploymentType))
                    // The policy applies from this year until a later row replaces it.
                    .col(integer(JpRequirement::FromYear))
                    .col(big_integer(JpRequirement::TargetHundredths))
                    .col(big_integer_null(JpRequirement::CapHundredths))
                    .col(boolean(JpRequirement::RecordAboveCap))
                    .col(timestamp_with_time_zone(JpRequirement::CreatedAt))
                    .col(uuid_null(JpRequirement::CreatedBy))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_jp_requirement",
            JpRequirement::Table,
            [JpRequirement::EmploymentType, JpRequirement::FromYear],
            true,
        )
        .await?;
        // No rows are seeded: without a row for an employment type, the built-in defaults
        // apply (see `jp_ledger::policy`), and an administrator's row overrides them.

        manager
            .create_table(
                Table::create()
                    .table(JpLedgerEntry::Table)
                    .col(pk_uuid(JpLedgerEntry::Id))
                    .col(uuid(JpLedgerEntry::PersonId))
                    // Calendar year in the local time zone.
                    .col(integer(JpLedgerEntry::Year))
                    // certificate, certificate_reversal, external, external_reversal
                    .col(string(JpLedgerEntry::Kind))
                    .col(uuid(JpLedgerEntry::SourceId))
                    // What this entry counts (negative for a reversal; less than the source's JP
                    // where a cap stopped recording).
                    .col(big_integer(JpLedgerEntry::JpHundredths))
                    .col(big_integer(JpLedgerEntry::SourceJpHundredths))
                    .col(text_null(JpLedgerEntry::Note))
                    .col(timestamp_with_time_zone(JpLedgerEntry::RecordedAt))
                    .col(uuid_null(JpLedgerEntry::RecordedBy))
                    .foreign_key(&mut crate::fk(
                        "fk_jp_ledger_person",
                        (JpLedgerEntry::Table, JpLedgerEntry::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        crate::index(
            manager,
            "uq_jp_ledger_source",
            JpLedgerEntry::Table,
            [JpLedgerEntry::Kind, JpLedgerEntry::SourceId],
            true,
        )
        .await?;
        // The compliance report sums one year by person.
        crate::index(
            manager,
            "idx_jp_ledger_year_person",
            JpLedgerEntry::Table,
            [JpLedgerEntry::Year, JpLedgerEntry::PersonId, JpLedgerEntry::JpHundredths],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(ExternalTraining::Table)
                    .col(pk_uuid(ExternalTraining::Id))
                    .col(uuid(ExternalTraining::PersonId))
                    .col(string(ExternalTraining::CourseName))
                    .col(string(ExternalTraining::Organiser))
                    .col(date(ExternalTraining::StartDate))
                    .col(date(ExternalTraining::EndDate))
                    .col(string(ExternalTraining::Jp))
                    .col(string(ExternalTraining::CertificateNumber))
                    .col(integer(ExternalTraining::TrainingType))
                    .col(text(ExternalTraining::Reason))
                    .col(uuid(ExternalTraining::RecordedBy))
                    .col(timestamp_with_time_zone(ExternalTraining::RecordedAt))
                    .col(timestamp_with_time_zone_null(ExternalTraining::ReversedAt))
                    .col(uuid_null(ExternalTraining::ReversedBy))
                    .col(text_null(ExternalTraining::ReversalReason))
                    .col(string_null(ExternalTraining::EvidenceType))
                    .col(string_null(ExternalTraining::EvidenceName))
                    .col(blob_null(ExternalTraining::Evidence))
                    .col(string_null(ExternalTraining::EvidenceSha256))
                    .foreign_key(&mut crate::fk(
                        "fk_external_training_person",
                        (ExternalTraining::Table, ExternalTraining::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .to_owned(),
            )
            .await?;

        // The same certificate recorded twice (a retried request) would count twice.
        crate::index(
            manager,
            "uq_external_training_certificate",
            ExternalTraining::Table,
            [ExternalTraining::PersonId, ExternalTraining::Organiser, ExternalTraining::CertificateNumber],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailOutbox::Table)
                    .col(pk_uuid(EmailOutbox::Id))
                    .col(string(EmailOutbox::MessageId))
                    // What makes two messages the same message, e.g. `reminder:2026:<person>`.
                    .col(string(EmailOutbox::DedupeKey))
                    .col(string(EmailOutbox::Recipient))
                    .col(string(EmailOutbox::Subject))
                    .col(text(EmailOutbox::TextBody))
                    .col(text(EmailOutbox::HtmlBody))
                    .col(blob_null(EmailOutbox::Attachment))
                    .col(string_null(EmailOutbox::AttachmentName))
                    .col(timestamp_with_time_zone(EmailOutbox::CreatedAt))
                    .col(timestamp_with_time_zone(EmailOutbox::NextAttemptAt))
                    .col(integer(EmailOutbox::Attempts))
                    .col(timestamp_with_time_zone_null(EmailOutbox::ClaimedUntil))
                    .col(timestamp_with_time_zone_null(EmailOutbox::SentAt))
                    .col(text_null(EmailOutbox::LastError))
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "uq_email_outbox_message", EmailOutbox::Table, [EmailOutbox::MessageId], true)
            .await?;
        crate::index(manager, "uq_email_outbox_dedupe", EmailOutbox::Table, [EmailOutbox::DedupeKey], true)
            .await?;
        crate::index(
            manager,
            "idx_email_outbox_due",
            EmailOutbox::Table,
            [EmailOutbox::SentAt, EmailOutbox::NextAttemptAt],
            false,
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(AppSetting::Table)
                    .col(string(AppSetting::Key).primary_key())
                    .col(text(AppSetting::Value))
                    .col(timestamp_with_time_zone(AppSetting::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_tables(
            manager,
            vec![
                AppSetting::Table.into_iden(),
                EmailOutbox::Table.into_iden(),
                ExternalTraining::Table.into_iden(),
                JpLedgerEntry::Table.into_iden(),
                JpRequirement::Table.into_iden(),
            ],
        )
        .await
    }
}
