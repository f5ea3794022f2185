//! The accounts service and its policy.

use std::sync::Arc;
use std::time::Duration;

use live_store::LiveStore;
use penkom_core::Clock;
use penkom_storage::DatabaseConnection;

use crate::caller_cache::{self, CallerCache, Revocation, Target};

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
    pub(crate) cache: Arc<CallerCache>,
}

impl Accounts {
    pub fn new(
        db: DatabaseConnection,
        live: Arc<dyn LiveStore>,
        clock: Arc<dyn Clock>,
        policy: AccountPolicy,
    ) -> Self {
        Self { db, live, clock, policy, cache: Arc::new(CallerCache::new()) }
    }

    pub fn policy(&self) -> &AccountPolicy {
        &self.policy
    }

    /// Takes `target` out of every node's cache of callers: at once on this node, and through
    /// the live store's journal on the others (see [`caller_cache`]). Called after the change
    /// is committed to the database. If the live store cannot be reached, other nodes drop the
    /// entry when it goes stale (at most [`caller_cache::CACHE_TTL`]); the change itself is
    /// already durable, so the caller's request still succeeds.
    pub(crate) async fn forget_callers(&self, target: Target) {
        let entry = Revocation::new(target);
        self.cache.apply(std::slice::from_ref(&entry), std::time::Instant::now());
        if let Err(e) = caller_cache::publish(self.live.as_ref(), &entry).await {
            tracing::warn!(error = %e, "cannot publish a revocation to other nodes; their caches expire it");
        }
    }

    /// Follows the revocation journal that other nodes append to, forever. The server runs this
    /// as a background task; one read of one key per second is all it costs.
    pub async fn follow_revocations(self) {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            match caller_cache::read(self.live.as_ref()).await {
                Ok(entries) => {
                    self.cache.apply(&entries, std::time::Instant::now());
                    failing = false;
                }
                Err(e) => {
                    // Logged once per outage rather than every second.
                    if !failing {
                        tracing::warn!(error = %e, "cannot read the revocation journal");
                    }
                    failing = true;
                }
            }
        }
    }
}
