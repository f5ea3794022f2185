//! The node lease: which running process works the outbox under a node's name. A node that
//! restarts takes back the mail claims held under its name; the lease makes sure the process it
//! takes them from is gone (it stopped renewing), not a second process started with the same
//! name.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum NodeLease {
    Table,
    Node,
    Holder,
    ExpiresAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(NodeLease::Table)
                    .col(string(NodeLease::Node).primary_key())
                    .col(string(NodeLease::Holder))
                    .col(timestamp_with_time_zone(NodeLease::ExpiresAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(NodeLease::Table).to_owned()).await
    }
}
