//! Request handlers, one module per area of the API.

pub mod admin_users;
pub mod auth;
pub mod authoring;
pub mod catalog;
pub mod certificates;
pub mod completions;
pub mod compliance;
pub mod health;
pub mod ledger;
pub mod me;
pub mod quiz;
pub mod reminders;
pub mod reports;
pub mod study;
pub mod verification;
