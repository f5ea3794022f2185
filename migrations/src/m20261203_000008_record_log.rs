//! One log for every record that decides JP. The certificates' hash chain becomes `record_log`,
//! whose entries name a subject (a certificate, a ledger entry or an external record) instead of
//! only a certificate, and each person's yearly JP balance gets a sealed row of its own.
//!
//! Entries written before this migration were hashed under the old field name and old record
//! digests, so `penkom audit` reports them as broken: there is no way to carry a tamper-evident
//! record across a change of what it commits to without re-signing history, which is exactly
//! what the log exists to prevent. Penkom had no production data when this was written.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CertificateLog {
    Table,
    CertificateId,
}

#[derive(DeriveIden)]
enum RecordLog {
    Table,
    SubjectId,
}

#[derive(DeriveIden)]
enum JpBalance {
    Table,
    PersonId,
    Year,
    TotalHundredths,
    Entries,
    Seal,
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
            .rename_table(Table::rename().table(CertificateLog::Table, RecordLog::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RecordLog::Table)
                    .rename_column(CertificateLog::CertificateId, RecordLog::SubjectId)
                    .to_owned(),
            )
            .await?;
        // Every read of a certificate, entry or record looks up its events.
        crate::index(manager, "idx_record_log_subject", RecordLog::Table, [RecordLog::SubjectId], false)
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(JpBalance::Table)
                    .col(uuid(JpBalance::PersonId))
                    .col(integer(JpBalance::Year))
                    .col(big_integer(JpBalance::TotalHundredths))
                    .col(big_integer(JpBalance::Entries))
                    .col(string(JpBalance::Seal))
                    .primary_key(Index::create().col(JpBalance::PersonId).col(JpBalance::Year))
                    .foreign_key(&mut crate::fk(
                        "fk_jp_balance_person",
                        (JpBalance::Table, JpBalance::PersonId),
                        (Person::Table, Person::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The compliance report reads one year's balances.
        crate::index(manager, "idx_jp_balance_year", JpBalance::Table, [JpBalance::Year], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(JpBalance::Table).to_owned()).await?;
        manager
            .drop_index(Index::drop().name("idx_record_log_subject").table(RecordLog::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(RecordLog::Table)
                    .rename_column(RecordLog::SubjectId, CertificateLog::CertificateId)
                    .to_owned(),
            )
            .await?;
        manager.rename_table(Table::rename().table(RecordLog::Table, CertificateLog::Table).to_owned()).await
    }
}
