//! Penkom's database migrations: one migration set that serves SQLite and PostgreSQL alike.
//!
//! Migrations are written with SeaQuery's schema builder rather than raw SQL, so the same
//! definition produces the right DDL for both databases. Each migration has a working `down`,
//! and the test suite runs up → down → up on both databases to keep it that way.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod m20261127_000001_accounts;
mod m20261127_000002_courses;
mod m20261127_000003_study;
mod m20261201_000004_assessment;
mod m20261201_000005_certificates;
mod m20261201_000006_ledger;
mod m20261203_000007_outbox_claims;
mod m20261203_000008_record_log;
mod m20261204_000009_node_lease;

/// The ordered list of every migration Penkom has.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_accounts::Migration),
            Box::new(m20261127_000002_courses::Migration),
            Box::new(m20261127_000003_study::Migration),
            Box::new(m20261201_000004_assessment::Migration),
            Box::new(m20261201_000005_certificates::Migration),
            Box::new(m20261201_000006_ledger::Migration),
            Box::new(m20261203_000007_outbox_claims::Migration),
            Box::new(m20261203_000008_record_log::Migration),
            Box::new(m20261204_000009_node_lease::Migration),
        ]
    }
}

/// Creates index `name` on `table` over `cols` (unique if asked); every migration's indexes go
/// through here so that they read as one line each.
pub(crate) async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: impl IntoIterator<Item = C>,
    unique: bool,
) -> Result<(), DbErr>
where
    T: IntoIden + 'static,
    C: IntoIden + 'static,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for c in cols {
        index.col(c);
    }
    if unique {
        index.unique();
    }
    manager.create_index(index.to_owned()).await
}

/// A foreign key that refuses to delete a row still referred to: Penkom never deletes evidence.
pub(crate) fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// Drops `tables` in the given order (dependants first, so no foreign key points at a missing
/// table).
pub(crate) async fn drop_tables(manager: &SchemaManager<'_>, tables: Vec<DynIden>) -> Result<(), DbErr> {
    for table in tables {
        manager.drop_table(Table::drop().table(table).to_owned()).await?;
    }
    Ok(())
}
