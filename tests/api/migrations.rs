//! Migrations run up → down → up on the test database (SQLite, or PostgreSQL when configured).

use migrations::{Migrator, MigratorTrait};
use penkom_core::ManualClock;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::TestEnv;

async fn table_count(db: &sea_orm::DatabaseConnection) -> i64 {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'seaql_migrations'"
        }
        _ => {
            "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'seaql_migrations'"
        }
    };
    let row =
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[tokio::test]
async fn migrations_go_up_down_and_up_again() {
    let env = TestEnv::new().await;
    let clock = std::sync::Arc::new(ManualClock::new(penkom_core::Clock::now(&penkom_core::SystemClock)));
    let services = penkom::server::Services::connect(&env.settings, clock, true).await.unwrap();
    let db = &services.db;
    let applied = Migrator::get_applied_migrations(db).await.unwrap().len();
    assert_eq!(applied, Migrator::migrations().len());
    let tables = table_count(db).await;
    assert!(tables >= 5, "{tables} tables");

    Migrator::down(db, None).await.unwrap();
    assert_eq!(table_count(db).await, 0, "down removes every table");
    assert!(Migrator::get_applied_migrations(db).await.unwrap().is_empty());

    Migrator::up(db, None).await.unwrap();
    assert_eq!(table_count(db).await, tables);
    // The schema works after the round trip.
    services.accounts.add_admin("admin@kota.go.id", "Admin", "Kata-Sandi-Admin-1").await.unwrap();
    services.db.clone().close().await.ok();
}
