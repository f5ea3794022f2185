//! Penkom's web pages: sign-in, the JP dashboard, the catalog, the study player, the post-test,
//! certificates and the study record, in Bahasa Indonesia.
//!
//! The pages are rendered on the server from askama templates (checked when the crate
//! compiles) and call the same domain services as the JSON API, never the API itself. A page
//! handler is as thin as an API handler: parse the request, call a service, render. Errors go
//! through the API crate's one mapping to a status and a code ([`penkom_api::error`]), then
//! become a page ([`error`]).
//!
//! Sessions are a cookie holding the same bearer token the API issues; every state-changing
//! request carries a CSRF token derived from it; every page is served with a strict
//! Content-Security-Policy that admits only the project's own scripts and stylesheet
//! ([`security`]). Pages work without JavaScript, except the study player, which must beat.

pub mod access;
pub mod assets;
pub mod error;
pub mod extract;
pub mod flash;
pub mod form;
pub mod indonesian;
pub mod layout;
pub mod pages;
pub mod render;
pub mod routes;
pub mod security;
pub mod session;

use std::sync::Arc;

use penkom_api::AppState;

pub use routes::{not_found, router, web_endpoints};

/// Settings of the pages.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Give cookies the `Secure` attribute: the public URL is `https://`, so browsers reach the
    /// server (or its load balancer) over TLS only.
    pub secure_cookies: bool,
    /// How many times faster than real time the server clock runs (1 normally; more under a
    /// running simulated clock). The player beats and the post-test countdown ticks in real
    /// time, so both divide server durations by this.
    pub clock_speed: u32,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self { secure_cookies: false, clock_speed: 1 }
    }
}

/// What every page handler shares: the API's services and the pages' own settings.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub config: Arc<WebConfig>,
}

impl WebState {
    pub fn new(app: AppState, config: WebConfig) -> Self {
        Self { app, config: Arc::new(config) }
    }

    /// A server duration in real milliseconds, for the timers in the browser.
    pub fn real_ms(&self, server_ms: i64) -> i64 {
        server_ms / i64::from(self.config.clock_speed.max(1))
    }
}

impl axum::extract::FromRef<WebState> for AppState {
    fn from_ref(s: &WebState) -> AppState {
        s.app.clone()
    }
}
