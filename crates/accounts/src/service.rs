//! The accounts service and its policy.

use std::sync::Arc;
use std::time::Duration;

use live_store::LiveStore;
use penkom_core::Clock;
use penkom_storage::DatabaseConnection;

/// Tunable rules for sign-in. The defaults follow common practice for government web
/// applications: a working day's token, and a lock-out generous enough for typing mistakes but
/// far too tight for guessing.
#[derive(Debug, Clone)]
pub struct AccountPolicy {
    /// How long a sign-in token is valid.
    pub token_ttl: Duration,
    /// Failed sign-ins allowed per account within `failure_window` before it is locked.
    pub max_failures_per_login: u64,
    /// Failed sign-ins allowed per client address within `failure_window`. Higher than the
    /// per-account limit because many employees of one office share a NAT address.
    pub max_failures_per_addr: u64,
    pub failure_window: Duration,
}

impl Default for AccountPolicy {
    fn default() -> Self {
        Self {
            token_ttl: Duration::from_secs(12 * 3600),
            max_failures_per_login: 5,
            max_failures_per_addr: 50,
            failure_window: Duration::from_secs(15 * 60),
        }
    }
}

/// Everything about people and sign-in. Cheap to clone: all fields are shared handles.
#[derive(Clone)]
pub struct Accounts {
    pub(crate) db: DatabaseConnection,
    pub(crate) live: Arc<dyn LiveStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) policy: AccountPolicy,
}

impl Accounts {
    pub fn new(
        db: DatabaseConnection,
        live: Arc<dyn LiveStore>,
        clock: Arc<dyn Clock>,
        policy: AccountPolicy,
    ) -> Self {
        Self { db, live, clock, policy }
    }

    pub fn policy(&self) -> &AccountPolicy {
        &self.policy
    }
}
