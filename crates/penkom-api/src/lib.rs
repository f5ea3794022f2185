//! Penkom's HTTP API (axum). This is the only crate that knows HTTP.
//!
//! Handlers are thin: they parse the request into domain types, call a domain service, and map
//! the answer (or the error, through the one exhaustive mapping in [`error`]) to HTTP. Every
//! route is registered through [`routes::RouteTable`], which records the roles allowed to call
//! it; the same record drives the access check, the OpenAPI document and the test that walks
//! every route with every role.

pub mod access;
pub mod body_timeout;
pub mod csv_body;
pub mod error;
pub mod extract;
pub mod field_errors;
pub mod handlers;
pub mod openapi;
pub mod read_retry;
pub mod routes;
pub mod schema_rules;
pub mod slots;
pub mod state;
pub mod verify_page;

pub use access::Access;
pub use routes::{Endpoint, router};
pub use state::{ApiConfig, AppState};
