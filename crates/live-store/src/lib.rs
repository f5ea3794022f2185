//! The live store: small, hot, short-lived state that must be shared by every API node, such as
//! counters of failed sign-ins (and, later, the state of running study sessions).
//!
//! Two implementations sit behind one trait with identical semantics: [`RedisStore`] when
//! `PENKOM_REDIS_URL` is set, so that several API nodes share one view, and [`MemoryStore`] for
//! the embedded single-process default. The same test suite runs against both.
//!
//! Nothing here is durable. Anything that must survive a restart is written to the database by
//! its owner; the live store only holds what can be lost or rebuilt.

mod memory;
mod redis_store;

use std::time::Duration;

use async_trait::async_trait;

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

    /// Reads the counter under `key` without changing it.
    async fn peek(&self, key: &str) -> Result<WindowCount, LiveStoreError>;

    /// Forgets the counter under `key`.
    async fn clear(&self, key: &str) -> Result<(), LiveStoreError>;

    /// A short name for logs and `/readyz` (`memory` or `redis`).
    fn kind(&self) -> &'static str;
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

    pub async fn windows_expire(store: &dyn LiveStore) {
        let w = Duration::from_millis(300);
        store.hit("short", w).await.unwrap();
        store.hit("short", w).await.unwrap();
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(store.peek("short").await.unwrap().count, 0);
        assert_eq!(store.hit("short", w).await.unwrap().count, 1);
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
