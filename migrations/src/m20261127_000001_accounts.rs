//! Accounts: work units (OPD), people, their roles, sign-in tokens and the audit trail.
//!
//! The people table is named `person` rather than `user` because `user` is a reserved word in
//! PostgreSQL. A person's NIP is optional (the first administrator may be BKPSDM IT staff
//! without one) but unique where present; both databases allow many NULLs in a unique index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Opd {
    Table,
    Id,
    Code,
    Name,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
    Nip,
    Email,
    Name,
    EmploymentType,
    OpdId,
    Rank,
    Position,
    PasswordHash,
    PasswordExpiresAt,
    MustChangePassword,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PersonRole {
    Table,
    PersonId,
    Role,
}

#[derive(DeriveIden)]
enum AuthToken {
    Table,
    TokenHash,
    PersonId,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
    ClientAddr,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
    At,
    ActorId,
    Action,
    Subject,
    Detail,
    ClientAddr,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Opd::Table)
                    .col(pk_uuid(Opd::Id))
                    .col(string_uniq(Opd::Code))
                    .col(string(Opd::Name))
                    .col(timestamp_with_time_zone(Opd::CreatedAt))
                    .col(timestamp_with_time_zone(Opd::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Person::Table)
                    .col(pk_uuid(Person::Id))
                    .col(string_null(Person::Nip).unique_key())
                    .col(string_uniq(Person::Email))
                    .col(string(Person::Name))
                    .col(string_null(Person::EmploymentType))
                    .col(uuid_null(Person::OpdId))
                    .col(string_null(Person::Rank))
                    .col(string_null(Person::Position))
                    .col(string_null(Person::PasswordHash))
                    .col(timestamp_with_time_zone_null(Person::PasswordExpiresAt))
                    .col(boolean(Person::MustChangePassword).default(false))
                    .col(boolean(Person::Active).default(true))
                    .col(timestamp_with_time_zone(Person::CreatedAt))
                    .col(timestamp_with_time_zone(Person::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_opd")
                            .from(Person::Table, Person::OpdId)
                            .to(Opd::Table, Opd::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "idx_person_opd", Person::Table, [Person::OpdId], false).await?;

        manager
            .create_table(
                Table::create()
                    .table(PersonRole::Table)
                    .col(uuid(PersonRole::PersonId))
                    .col(string(PersonRole::Role))
                    .primary_key(Index::create().col(PersonRole::PersonId).col(PersonRole::Role))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_person_role_person")
                            .from(PersonRole::Table, PersonRole::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuthToken::Table)
                    .col(string(AuthToken::TokenHash).primary_key())
                    .col(uuid(AuthToken::PersonId))
                    .col(timestamp_with_time_zone(AuthToken::CreatedAt))
                    .col(timestamp_with_time_zone(AuthToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(AuthToken::RevokedAt))
                    .col(string_null(AuthToken::ClientAddr))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_auth_token_person")
                            .from(AuthToken::Table, AuthToken::PersonId)
                            .to(Person::Table, Person::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "idx_auth_token_person", AuthToken::Table, [AuthToken::PersonId], false)
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(pk_uuid(AuditEvent::Id))
                    .col(timestamp_with_time_zone(AuditEvent::At))
                    .col(uuid_null(AuditEvent::ActorId))
                    .col(string(AuditEvent::Action))
                    .col(string_null(AuditEvent::Subject))
                    .col(text_null(AuditEvent::Detail))
                    .col(string_null(AuditEvent::ClientAddr))
                    .to_owned(),
            )
            .await?;
        crate::index(manager, "idx_audit_event_at", AuditEvent::Table, [AuditEvent::At], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::drop_tables(
            manager,
            vec![
                AuditEvent::Table.into_iden(),
                AuthToken::Table.into_iden(),
                PersonRole::Table.into_iden(),
                Person::Table.into_iden(),
                Opd::Table.into_iden(),
            ],
        )
        .await
    }
}
