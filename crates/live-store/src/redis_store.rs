//! The Redis live store, shared by every API node.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{AsyncCommands, Script};

use crate::{LiveStore, LiveStoreError, Swap, Versioned, WindowCount, next_version};

/// Increments a counter and opens its window on the first hit, in one step. A Lua script runs
/// atomically in Redis, so two nodes hitting the same key at once cannot both see "first hit"
/// and both reset the expiry, which a separate INCR and PEXPIRE could do.
/// Takes one back, keeping the window's expiry; a key without one (expired meanwhile) is left.
const UNHIT_SCRIPT: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 and redis.call('PTTL', KEYS[1]) > 0 then
  redis.call('DECR', KEYS[1])
end
return 0
";

const HIT_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
if n == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

/// Compare-and-set of a versioned value stored as a hash `{v: version, d: data}`. Running as
/// one script makes the comparison and the write a single atomic step in Redis. On a conflict
/// it answers the current version and data, so the caller's retry needs no second round trip.
///
/// Versions are compared and stored as the decimal strings the client sends, never converted to
/// Lua numbers, which are doubles and exact only up to 2^53.
const STORE_IF_SCRIPT: &str = r"
local cur = redis.call('HMGET', KEYS[1], 'v', 'd')
if (cur[1] or '0') ~= ARGV[1] then
  return {0, cur[1], cur[2]}
end
redis.call('HSET', KEYS[1], 'v', ARGV[4], 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, false, false}
";

pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    hit: Script,
    unhit: Script,
    store_if: Script,
}

fn unavailable(e: redis::RedisError) -> LiveStoreError {
    LiveStoreError::Unavailable(e.to_string())
}

impl RedisStore {
    /// Connects to Redis at `url`. Every key this store touches starts with `prefix`, so that
    /// several deployments (or parallel tests) can share one Redis.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, LiveStoreError> {
        let client = redis::Client::open(url).map_err(unavailable)?;
        // Bounded timeouts: a Redis that stops answering must turn into a quick error (and a
        // failing /readyz), never into requests that hang forever.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(3)))
            .set_response_timeout(Some(Duration::from_secs(3)))
            .set_number_of_retries(2);
        let conn = client.get_connection_manager_with_config(config).await.map_err(unavailable)?;
        Ok(Self {
            conn,
            prefix: prefix.to_string(),
            hit: Script::new(HIT_SCRIPT),
            unhit: Script::new(UNHIT_SCRIPT),
            store_if: Script::new(STORE_IF_SCRIPT),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }
}

/// A stored value from the two fields of its hash; either missing means nothing is stored.
fn versioned(version: Option<u64>, value: Option<Vec<u8>>) -> Option<Versioned> {
    Some(Versioned { version: version?, value: value? })
}

fn window_count(count: i64, ttl_ms: i64) -> WindowCount {
    WindowCount { count: count.max(0) as u64, resets_in: Duration::from_millis(ttl_ms.max(0) as u64) }
}

#[async_trait]
impl LiveStore for RedisStore {
    async fn ping(&self) -> Result<(), LiveStoreError> {
        let mut conn = self.conn.clone();
        redis::cmd("PING").query_async::<String>(&mut conn).await.map_err(unavailable)?;
        Ok(())
    }

    async fn hit(&self, key: &str, window: Duration) -> Result<WindowCount, LiveStoreError> {
        let mut conn = self.conn.clone();
        let window_ms = window.as_millis().max(1) as u64;
        let (count, ttl): (i64, i64) =
            self.hit.key(self.key(key)).arg(window_ms).invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(window_count(count, ttl))
    }

    async fn unhit(&self, key: &str) -> Result<(), LiveStoreError> {
        let mut conn = self.conn.clone();
        let _: i64 = self.unhit.key(self.key(key)).invoke_async(&mut conn).await.map_err(unavailable)?;
        Ok(())
    }

    async fn peek(&self, key: &str) -> Result<WindowCount, LiveStoreError> {
        let mut conn = self.conn.clone();
        let k = self.key(key);
        let (count, ttl): (Option<i64>, i64) =
            redis::pipe().get(&k).pttl(&k).query_async(&mut conn).await.map_err(unavailable)?;
        Ok(match count {
            Some(c) if ttl > 0 => window_count(c, ttl),
            _ => WindowCount { count: 0, resets_in: Duration::ZERO },
        })
    }

    async fn clear(&self, key: &str) -> Result<(), LiveStoreError> {
        let mut conn = self.conn.clone();
        conn.del::<_, ()>(self.key(key)).await.map_err(unavailable)
    }

    async fn load(&self, key: &str) -> Result<Option<Versioned>, LiveStoreError> {
        let mut conn = self.conn.clone();
        let (version, value): (Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
            .arg(self.key(key))
            .arg("v")
            .arg("d")
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        Ok(versioned(version, value))
    }

    async fn store_if(
        &self,
        key: &str,
        expected: u64,
        value: &[u8],
        ttl: Duration,
    ) -> Result<Swap, LiveStoreError> {
        let mut conn = self.conn.clone();
        let version = next_version(expected);
        let (stored, current_version, current_value): (i64, Option<u64>, Option<Vec<u8>>) = self
            .store_if
            .key(self.key(key))
            .arg(expected.to_string())
            .arg(value)
            .arg(ttl.as_millis().max(1) as u64)
            .arg(version.to_string())
            .invoke_async(&mut conn)
            .await
            .map_err(unavailable)?;
        if stored == 1 {
            return Ok(Swap::Stored { version });
        }
        Ok(Swap::Conflict { current: versioned(current_version, current_value) })
    }

    fn kind(&self) -> &'static str {
        "redis"
    }

    fn is_remote(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    //! These run only when `PENKOM_TEST_REDIS_URL` is set (as `.ci/run` does); each test uses
    //! its own key prefix so that tests can run in parallel against one Redis.

    use super::*;
    use crate::contract;

    async fn store() -> Option<RedisStore> {
        let url = std::env::var("PENKOM_TEST_REDIS_URL").ok()?;
        let prefix = format!("penkom:test:{}:", uuid::Uuid::new_v4().simple());
        Some(
            RedisStore::connect(&url, &prefix)
                .await
                .expect("PENKOM_TEST_REDIS_URL is set but Redis cannot be reached"),
        )
    }

    #[tokio::test]
    async fn a_hit_can_be_taken_back() {
        if let Some(s) = store().await {
            contract::a_hit_can_be_taken_back(&s).await;
        }
    }

    #[tokio::test]
    async fn counts_within_a_window() {
        if let Some(s) = store().await {
            contract::counts_within_a_window(&s).await;
        }
    }

    #[tokio::test]
    async fn windows_expire() {
        if let Some(s) = store().await {
            contract::windows_expire(&s).await;
        }
    }

    #[tokio::test]
    async fn versioned_values_compare_and_set() {
        if let Some(s) = store().await {
            contract::versioned_values_compare_and_set(&s).await;
        }
    }

    #[tokio::test]
    async fn versions_are_not_reused_after_a_loss() {
        if let Some(s) = store().await {
            contract::versions_are_not_reused_after_a_loss(&s).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_read_modify_write_loses_nothing() {
        if let Some(s) = store().await {
            contract::concurrent_read_modify_write_loses_nothing(std::sync::Arc::new(s)).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_hits_are_each_counted() {
        if let Some(s) = store().await {
            contract::concurrent_hits_are_each_counted(std::sync::Arc::new(s)).await;
        }
    }
}
