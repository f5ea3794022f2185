//! The `penkom` program: configuration, wiring of the services, the server's life cycle, and the
//! command line. `main.rs` parses arguments and calls into here; the integration tests call the
//! very same [`Server::start`], so what they test is what runs in production.

pub mod demo;
pub mod serve;
pub mod server;
pub mod settings;

pub use server::Server;
pub use settings::Settings;
