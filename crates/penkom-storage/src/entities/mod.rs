//! The sea-orm entities, one module per table.

pub mod audit_event;
pub mod auth_token;
pub mod opd;
pub mod person;
pub mod person_role;
