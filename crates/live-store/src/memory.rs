//! The in-process live store, for a single server with no Redis.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{LiveStore, LiveStoreError, Swap, Versioned, WindowCount, next_version};

/// Beyond this many keys, expired windows are swept on the next write, so that a flood of
/// distinct keys (say, sign-in attempts for random NIPs) cannot grow memory without bound.
const SWEEP_ABOVE: usize = 10_000;

/// Independent locks for values, so that beats of different learners on different cores do
/// not queue behind one mutex.
const SHARDS: usize = 64;

/// Key → (version, value, expiry).
type Values = HashMap<String, (u64, Vec<u8>, Instant)>;
type ValueShard = Mutex<Values>;

pub struct MemoryStore {
    // Plain mutexes are enough: every operation is a few map lookups and never awaits while
    // holding a lock, so there is nothing for an async mutex to gain.
    windows: Mutex<HashMap<String, (u64, Instant)>>,
    values: Vec<ValueShard>,
}

impl Default for MemoryStore {
    fn default() -> Self {
        Self { windows: Mutex::default(), values: (0..SHARDS).map(|_| Mutex::default()).collect() }
    }
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn shard(&self, key: &str) -> std::sync::MutexGuard<'_, Values> {
        // FNV-1a: a stable, fast hash; the shard only needs to spread keys, not resist attacks
        // (keys are chosen by the server, not by clients).
        let mut x: u64 = 0xcbf2_9ce4_8422_2325;
        for b in key.bytes() {
            x = (x ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.values[(x as usize) % SHARDS].lock().unwrap_or_else(|e| e.into_inner())
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

    async fn unhit(&self, key: &str) -> Result<(), LiveStoreError> {
        let now = Instant::now();
        let mut map = self.lock();
        if let Some(entry) = map.get_mut(key).filter(|e| e.1 > now) {
            entry.0 = entry.0.saturating_sub(1);
        }
        Ok(())
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
        self.shard(key).remove(key);
        Ok(())
    }

    async fn load(&self, key: &str) -> Result<Option<Versioned>, LiveStoreError> {
        let now = Instant::now();
        let shard = self.shard(key);
        Ok(shard
            .get(key)
            .filter(|(_, _, until)| *until > now)
            .map(|(version, value, _)| Versioned { version: *version, value: value.clone() }))
    }

    async fn store_if(
        &self,
        key: &str,
        expected: u64,
        value: &[u8],
        ttl: Duration,
    ) -> Result<Swap, LiveStoreError> {
        let now = Instant::now();
        let mut shard = self.shard(key);
        if shard.len() > SWEEP_ABOVE {
            shard.retain(|_, (_, _, until)| *until > now);
        }
        let current = shard.get(key).filter(|(_, _, until)| *until > now);
        if current.map_or(0, |(v, _, _)| *v) != expected {
            let current =
                current.map(|(version, value, _)| Versioned { version: *version, value: value.clone() });
            return Ok(Swap::Conflict { current });
        }
        let version = next_version(expected);
        shard.insert(key.to_string(), (version, value.to_vec(), now + ttl));
        Ok(Swap::Stored { version })
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
    async fn a_hit_can_be_taken_back() {
        contract::a_hit_can_be_taken_back(&MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn counts_within_a_window() {
        contract::counts_within_a_window(&MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn windows_expire() {
        contract::windows_expire(&MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn versioned_values_compare_and_set() {
        contract::versioned_values_compare_and_set(&MemoryStore::new()).await;
    }

    #[tokio::test]
    async fn versions_are_not_reused_after_a_loss() {
        contract::versions_are_not_reused_after_a_loss(&MemoryStore::new()).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_read_modify_write_loses_nothing() {
        contract::concurrent_read_modify_write_loses_nothing(std::sync::Arc::new(MemoryStore::new())).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_are_each_counted() {
        contract::concurrent_hits_are_each_counted(std::sync::Arc::new(MemoryStore::new())).await;
    }
}
