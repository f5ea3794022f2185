//! Penkom's storage layer: the database connection for SQLite and PostgreSQL, and the sea-orm
//! entities that mirror the tables the `migrations` crate creates.
//!
//! Domain crates read and write through these entities; they never build connection strings or
//! pick a backend themselves. Keeping connection setup here is what lets one code path serve the
//! embedded SQLite default and a production PostgreSQL.

pub mod audit;
pub mod connect;
pub mod entities;
pub mod errors;
pub mod transaction;

pub use connect::{Backend, connect, sqlite_url_for_dir};
pub use errors::{is_transient, is_unique_violation};
pub use sea_orm;
pub use sea_orm::{DatabaseConnection, DbErr};
pub use transaction::{begin_write, serialize_on};
