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

/// The ordered list of every migration Penkom has.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_accounts::Migration),
            Box::new(m20261127_000002_courses::Migration),
            Box::new(m20261127_000003_study::Migration),
        ]
    }
}
