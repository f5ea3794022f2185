//! The state every handler shares.

use std::sync::Arc;

use accounts::Accounts;
use live_store::LiveStore;
use penkom_core::{Clock, LocalZone};
use penkom_storage::DatabaseConnection;

/// Settings of the HTTP layer itself.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Use the last address in `X-Forwarded-For` as the client address. Only safe behind a
    /// load balancer that sets the header; otherwise any client could pick its own address and
    /// escape the per-address sign-in limit.
    pub trust_forwarded_for: bool,
    /// Largest JSON body accepted, in bytes.
    pub max_json_bytes: usize,
    /// Largest CSV import accepted, in bytes.
    pub max_import_bytes: usize,
    /// Base URL of links in certificates and e-mails, e.g. `https://penkom.example.go.id`.
    pub public_url: String,
    /// Longest pause while a request body is being sent.
    pub body_idle_timeout: std::time::Duration,
    /// Longest time a whole request body may take.
    pub body_deadline: std::time::Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            trust_forwarded_for: false,
            max_json_bytes: 64 * 1024,
            max_import_bytes: 16 * 1024 * 1024,
            public_url: "http://127.0.0.1:3000".into(),
            body_idle_timeout: std::time::Duration::from_secs(15),
            // A 16 MiB import over a slow office line (1 Mbit/s) takes about two minutes.
            body_deadline: std::time::Duration::from_secs(180),
        }
    }
}

/// The state every handler shares: one `Arc`, so that the clone axum makes for every extractor
/// and middleware costs one reference-count increment. (Cloning the services themselves meant
/// a dozen atomic increments per clone, several clones per request, and both cores fighting over
/// the same counters: about a tenth of the heartbeat path's time.)
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> Self {
        Self(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The handles behind [`AppState`].
pub struct Services {
    pub db: DatabaseConnection,
    pub live: Arc<dyn LiveStore>,
    pub clock: Arc<dyn Clock>,
    pub zone: LocalZone,
    pub accounts: Accounts,
    pub courses: course_delivery::Courses,
    pub progress: progress_tracking::Progress,
    pub quizzes: progress_tracking::Quizzes,
    pub certificates: certificates::Certificates,
    /// Post-test submission through to the certificate: the one way a course is finished.
    pub graduation: certificates::Graduation,
    pub ledger: jp_ledger::Ledger,
    pub outbox: notifications::Outbox,
    pub mail: notifications::reminder::MailContext,
    /// Present only under `penkom serve --simulated-clock`: the clock an administrator advances.
    pub simulated_clock: Option<penkom_core::ManualClock>,
    pub config: Arc<ApiConfig>,
    /// Reports this node builds at once (`ApiConfig::max_concurrent_reports`).
    pub report_slots: crate::slots::Slots,
    /// What the node still has to do at start before it takes traffic.
    pub startup: Arc<Startup>,
}

/// Work a node does at start before it may take traffic, beyond its dependencies answering:
/// the first pass of the sweep that issues certificates for completions a crash left without
/// one. Until it is done, `/readyz` says not ready, so a load balancer sends no verifier to a
/// node that would call a fresh completion's certificate unknown.
#[derive(Debug, Default)]
pub struct Startup {
    sweep_done: std::sync::atomic::AtomicBool,
}

impl Startup {
    pub fn sweep_done(&self) -> bool {
        self.sweep_done.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn mark_sweep_done(&self) {
        self.sweep_done.store(true, std::sync::atomic::Ordering::Release);
    }
}
