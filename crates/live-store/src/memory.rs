//! The in-process live store, for a single server with no Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{LiveStore, LiveStoreError, WindowCount};

/// Beyond this many keys, expired windows are swept on the next write, so that a flood of
/// distinct keys (say, sign-in attempts for random NIPs) cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Default)]
pub struct MemoryStore {
    // A plain mutex is enough: every operation is a few map lookups and never awaits while
    // holding the lock, so there is nothing for an async mutex to gain.
    windows: Mutex<HashMap<String, (u64, Instant)>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Instant)>> {
        // Each operation leaves the map consistent before it could panic, so a poisoned lock
        // still guards valid data.
        self.windows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl LiveStore for MemoryStore {
    async fn ping(&self) -> Result<(), LiveStoreError> {
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<WindowCount, LiveStoreError> {
        let now = Instant::now();
        let mut map = self.lock();
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, (_, until)| *until > now);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 += 1;
        Ok(WindowCount { count: entry.0, resets_in: entry.1 - now })
    }

    async fn peek(&self, key: &str) -> Result<WindowCount, LiveStoreError> {
        let now = Instant::now();
        let map = self.lock();
        Ok(match map.get(key) {
            Some(&(count, until)) if until > now => WindowCount { count, resets_in: until - now },
            _ => WindowCount { count: 0, resets_in: Duration::ZERO },
        })
    }

    async fn clear(&self, key: &str) -> Result<(), LiveStoreError> {
        self.lock().remove(key);
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "memory"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract;

    #[tokio::test]
    async fn counts_within_a_window() {
        contract::counts_within_a_window(&MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn windows_expire() {
        contract::windows_expire(&MemoryStore::new()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_are_each_counted() {
        contract::concurrent_hits_are_each_counted(std::sync::Arc::new(MemoryStore::new())).await;
    }
}
