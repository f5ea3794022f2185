//! Certificates, the public keys that signed them, and the tamper-evident log.
//!
//! A certificate row keeps the signed credential verbatim: it is served as issued and never
//! rebuilt from other rows. The unique index on `completion_id` is what makes "exactly one
//! certificate per completion" hold when a restart, a sweep and a request race to issue it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SigningKey {
    Table,
    Kid,
    PublicKeyMultibase,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Certificate {
    Table,
    Id,
    CompletionId,
    PersonId,
    CourseId,
    VersionId,
    Number,
    Year,
    Seq,
    Code,
    StatusIndex,
    Jp,
    CompletedAt,
    IssuedAt,
    Kid,
    Credential,
    RevokedAt,
    RevocationReason,
    RevokedBy,
    TestData,
}

#[derive(DeriveIden)]
enum CertificateLog {
    Table,
    Seq,
    At,
    Event,
    CertificateId,
    DocumentHash,
    PrevHash,
    EntryHash,
}

#[derive(DeriveIden)]
enum CourseCompletion {
    Table,
    Id,
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
                    .table(SigningKey::Table)
                    .col(string(SigningKey::Kid).primary_key())
                    .col(string(SigningKey::PublicKeyMultibase))
                    .col(timestamp_with_time_zone(SigningKey::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Certificate::Table)
                    .col(pk_uuid(Certificate::Id))
                    .col(uuid(Certificate::CompletionId))
                    .col(uuid(Certificate::PersonId))
                    .col(uuid(Certificate::CourseId))
                    .col(uuid(Certificate::VersionId))
                    .col(string(Certificate::Number))
                    // The local year of completion and the sequence within it, from which the
                    // number was made.
                    .col(integer(Certificate::Year))
                    .col(big_integer(Certificate::Seq))
                    .col(string(Certificate::Code))
                    .col(integer(Certificate::StatusIndex))
                    .col(string(Certificate::Jp))
                    .col(timestamp_with_time_zone(Certificate::CompletedAt))
                    .col(timestamp_with_time_zone(Certificate::IssuedAt))
                    .col(string(Certificate::Kid))
                    // The signed credential exactly as issued.
                    .col(text(Certificate::Credential))
                    .col(timestamp_with_time_zone_null(Certificate::RevokedAt))
                    .col(text_null(Certificate::RevocationReason))
                    .col(uuid_null(Certificate::RevokedBy))
                    .col(boolean(Certificate::TestData))
                    .foreign_key(&mut crate::fk(
                        "fk_certificate_completion",
                        (Certificate::Table, Certificate::CompletionId),
                        (CourseCompletion::Table, CourseCompletion::Id),
                    ))
                    .foreign_key(&mut crate::fk(
                        "fk_certificate_person",
                        (Certificate::Table, Certificate::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .foreign_key(&mut crate::fk(
                        "fk_certificate_key",
                        (Certificate::Table, Certificate::Kid),
                        (SigningKey::Table, SigningKey::Kid),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, cols) in [
            ("uq_certificate_completion", vec![Certificate::CompletionId]),
            ("uq_certificate_number", vec![Certificate::Number]),
            ("uq_certificate_year_seq", vec![Certificate::Year, Certificate::Seq]),
            ("uq_certificate_code", vec![Certificate::Code]),
            ("uq_certificate_status_index", vec![Certificate::StatusIndex]),
        ] {
            crate::index(manager, name, Certificate::Table, cols, true).await?;
        }
        crate::index(manager, "idx_certificate_person", Certificate::Table, [Certificate::PersonId], false)
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CertificateLog::Table)
                    .col(big_integer(CertificateLog::Seq).primary_key())
                    // RFC 3339 text, exactly as hashed.
                    .col(string(CertificateLog::At))
                    .col(string(CertificateLog::Event))
                    .col(uuid(CertificateLog::CertificateId))
                    .col(string(CertificateLog::DocumentHash))
                    .col(string(CertificateLog::PrevHash))
                    .col(string(CertificateLog::EntryHash))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_tables(
            manager,
            vec![
                CertificateLog::Table.into_iden(),
                Certificate::Table.into_iden(),
                SigningKey::Table.into_iden(),
            ],
        )
        .await
    }
}
