//! The live store: small, hot, short-lived state that must be shared by every API node: the
//! state of running study streams, and the counters of rate limits (failed sign-ins, public
//! verification lookups), kept per client address bucket ([`address_bucket`]).
//!
//! Two implementations sit behind one trait with identical semantics: [`RedisStore`] when
//! `PENKOM_REDIS_URL` is set, so that several API nodes share one view, and [`MemoryStore`] for
//! the embedded single-process default. The same test suite runs against both.
//!
//! Nothing here is durable. Anything that must survive a restart is written to the database by
//! its owner; the live store only holds what can be lost or rebuilt.

mod address;
mod memory;
mod redis_store;

use std::time::Duration;

use async_trait::async_trait;

pub use address::address_bucket;
pub use memory::MemoryStore;
pub use redis_store::RedisStore;

#[derive(Debug, thiserror::Error)]
pub enum LiveStoreError {
    #[error("live store unavailable: {0}")]
    Unavailable(String),
}

/// The state of a fixed-window counter after an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    /// Events counted in the current window.
    pub count: u64,
    /// Time until the window ends and the count starts again at zero (zero when no window is
    /// open).
    pub resets_in: Duration,
}

/// A value with the version it was stored at.
///
/// Versions are opaque, random, non-zero tokens (0 means "nothing stored"), not counters. A
/// counter would start again at 1 when Redis restarts empty, and a node that remembered version
/// 5 of the old value could then overwrite an unrelated version 5 of a new one. A fresh random
/// 53-bit token per store makes a reused version as unlikely as guessing a 53-bit number, so a
/// version remembered from any earlier read is safe to compare against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Versioned {
    pub version: u64,
    pub value: Vec<u8>,
}

/// The outcome of [`LiveStore::store_if`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swap {
    /// The value was stored at this new version.
    Stored { version: u64 },
    /// Nothing was stored: the stored version was not the expected one. `current` is what is
    /// stored now, read in the same atomic step, so the caller can retry without another read.
    Conflict { current: Option<Versioned> },
}

impl Swap {
    pub fn is_stored(&self) -> bool {
        matches!(self, Swap::Stored { .. })
    }
}

/// Version tokens stay below 2^53. A node of the previous release, still running during a
/// rolling deploy, reads versions with Lua's `tonumber` (a double, exact only below 2^53) and
/// writes back `version + 1`; a larger token would come back rounded or in exponent notation,
/// which this release could not read, or could even read as a token it handed out before.
const VERSION_BITS: u32 = 53;

/// A fresh version token: random, non-zero, below 2^53, and never equal to `previous`.
pub(crate) fn next_version(previous: u64) -> u64 {
    loop {
        let v: u64 = rand::random::<u64>() >> (64 - VERSION_BITS);
        if v != 0 && v != previous {
            return v;
        }
    }
}

/// Shared, short-lived state. Keys are plain strings chosen by the caller; each implementation
/// adds its own namespace prefix.
#[async_trait]
pub trait LiveStore: Send + Sync + 'static {
    /// Checks that the store answers (for `/readyz`).
    async fn ping(&self) -> Result<(), LiveStoreError>;

    /// Counts one event under `key`. The first event opens a window of length `window`; later
    /// events in the same window add to it. Atomic: concurrent hits from any node are each
    /// counted exactly once.
    async fn hit(&self, key: &str, window: Duration) -> Result<WindowCount, LiveStoreError>;

    /// Takes back one event counted under `key` in its current window (never below zero; nothing
    /// when no window is open). Atomic like [`LiveStore::hit`]: a limit can count every attempt
    /// before it is judged, and give back the ones that turn out not to count (a successful
    /// sign-in), without a window in which parallel attempts slip past it.
    async fn unhit(&self, key: &str) -> Result<(), LiveStoreError>;

    /// Reads the counter under `key` without changing it.
    async fn peek(&self, key: &str) -> Result<WindowCount, LiveStoreError>;

    /// Forgets whatever is stored under `key` (counter or value).
    async fn clear(&self, key: &str) -> Result<(), LiveStoreError>;

    /// Reads the value under `key`, with its version.
    async fn load(&self, key: &str) -> Result<Option<Versioned>, LiveStoreError>;

    /// Stores `value` under `key` only if the stored version is still `expected` (0 meaning
    /// "nothing stored"), giving it a fresh version, and (re)sets its time to live. This
    /// compare-and-set is atomic across every node, so a read–compute–store cycle that retries
    /// on a conflict never loses a concurrent update. A conflict carries the current value, so
    /// the retry needs no separate read; and `expected` may come from a read made long ago (a
    /// node's own memory of the value), which costs one conflict when it is stale and nothing
    /// when it is not.
    async fn store_if(
        &self,
        key: &str,
        expected: u64,
        value: &[u8],
        ttl: Duration,
    ) -> Result<Swap, LiveStoreError>;

    /// A short name for logs and `/readyz` (`memory` or `redis`).
    fn kind(&self) -> &'static str;

    /// Whether every operation is a network round trip (Redis), which makes it worth a node's
    /// while to remember values it stored and go straight to the compare-and-set next time.
    fn is_remote(&self) -> bool {
        false
    }
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour every implementation must show. Each implementation's tests call these.

    use super::*;

    pub async fn counts_within_a_window(store: &dyn LiveStore) {
        let w = Duration::from_secs(60);
        assert_eq!(store.peek("k").await.unwrap().count, 0);
        assert_eq!(store.hit("k", w).await.unwrap().count, 1);
        let second = store.hit("k", w).await.unwrap();
        assert_eq!(second.count, 2);
        assert!(second.resets_in > Duration::from_secs(55) && second.resets_in <= w);
        assert_eq!(store.peek("k").await.unwrap().count, 2);
        assert_eq!(store.peek("other").await.unwrap().count, 0);
        store.clear("k").await.unwrap();
        assert_eq!(store.peek("k").await.unwrap().count, 0);
    }

    pub async fn a_hit_can_be_taken_back(store: &dyn LiveStore) {
        let w = Duration::from_secs(60);
        store.unhit("back").await.unwrap();
        assert_eq!(store.peek("back").await.unwrap().count, 0, "nothing to take back");
        store.hit("back", w).await.unwrap();
        store.hit("back", w).await.unwrap();
        store.unhit("back").await.unwrap();
        let left = store.peek("back").await.unwrap();
        assert_eq!(left.count, 1);
        assert!(left.resets_in > Duration::from_secs(55), "the window keeps its end");
        store.unhit("back").await.unwrap();
        store.unhit("back").await.unwrap();
        assert_eq!(store.peek("back").await.unwrap().count, 0, "never below zero");
        assert_eq!(store.hit("back", w).await.unwrap().count, 1);
    }

    pub async fn windows_expire(store: &dyn LiveStore) {
        let w = Duration::from_millis(300);
        store.hit("short", w).await.unwrap();
        store.hit("short", w).await.unwrap();
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(store.peek("short").await.unwrap().count, 0);
        assert_eq!(store.hit("short", w).await.unwrap().count, 1);
    }

    pub async fn versioned_values_compare_and_set(store: &dyn LiveStore) {
        let ttl = Duration::from_secs(60);
        assert_eq!(store.load("v").await.unwrap(), None);
        let Swap::Stored { version: one } = store.store_if("v", 0, b"one", ttl).await.unwrap() else {
            panic!("the first store succeeds")
        };
        assert_ne!(one, 0);
        assert_eq!(store.load("v").await.unwrap(), Some(Versioned { version: one, value: b"one".to_vec() }));
        assert_eq!(
            store.store_if("v", 0, b"stale", ttl).await.unwrap(),
            Swap::Conflict { current: Some(Versioned { version: one, value: b"one".to_vec() }) },
            "a stale version is refused, with what is stored now"
        );
        let Swap::Stored { version: two } = store.store_if("v", one, b"two", ttl).await.unwrap() else {
            panic!("the expected version stores")
        };
        assert_ne!(two, one);
        assert_eq!(store.load("v").await.unwrap().unwrap().value, b"two");
        store.clear("v").await.unwrap();
        assert_eq!(store.load("v").await.unwrap(), None);
        assert_eq!(
            store.store_if("v", two, b"lost", ttl).await.unwrap(),
            Swap::Conflict { current: None },
            "a cleared value conflicts with any remembered version"
        );
        assert!(store.store_if("v", 0, b"again", Duration::from_millis(200)).await.unwrap().is_stored());
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(store.load("v").await.unwrap(), None, "values expire");
    }

    /// After the value is lost (a Redis restart, an expiry), new stores never hand out a
    /// version that was in use before, so a node that remembers an old version cannot overwrite
    /// the new value by accident.
    pub async fn versions_are_not_reused_after_a_loss(store: &dyn LiveStore) {
        let ttl = Duration::from_secs(60);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..5 {
            let mut version = 0;
            for _ in 0..10 {
                match store.store_if("r", version, b"x", ttl).await.unwrap() {
                    Swap::Stored { version: v } => version = v,
                    Swap::Conflict { .. } => panic!("a single writer never conflicts"),
                }
                assert!(seen.insert(version), "version {version} was handed out twice");
                assert!(version < 1 << 53, "versions stay exact as doubles for older nodes' scripts");
            }
            store.clear("r").await.unwrap();
        }
    }

    pub async fn concurrent_read_modify_write_loses_nothing(store: std::sync::Arc<dyn LiveStore>) {
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let s = store.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    let cur = s.load("counter").await.unwrap();
                    let (version, n) = match cur {
                        Some(v) => (v.version, String::from_utf8(v.value).unwrap().parse::<u64>().unwrap()),
                        None => (0, 0),
                    };
                    let next = (n + 1).to_string();
                    if s.store_if("counter", version, next.as_bytes(), Duration::from_secs(60))
                        .await
                        .unwrap()
                        .is_stored()
                    {
                        break;
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let v = store.load("counter").await.unwrap().unwrap();
        assert_eq!(String::from_utf8(v.value).unwrap(), "20");
    }

    pub async fn concurrent_hits_are_each_counted(store: std::sync::Arc<dyn LiveStore>) {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let s = store.clone();
            tasks.push(tokio::spawn(
                async move { s.hit("race", Duration::from_secs(60)).await.unwrap().count },
            ));
        }
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap());
        }
        seen.sort_unstable();
        assert_eq!(seen, (1..=50).collect::<Vec<u64>>(), "every hit gets its own count");
    }
}
