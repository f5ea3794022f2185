//! A node's memory of the streams it last stored, so that a heartbeat on Redis costs one round
//! trip (the compare-and-set) instead of two (a read, then the compare-and-set).
//!
//! Why a remembered stream can never cause a wrong answer: it is used only as the *expected*
//! side of a compare-and-set. If another node, another tab or a Redis restart changed the stream
//! meanwhile, the stored version differs, the compare-and-set refuses, and its conflict answer
//! carries the current stream, from which the operation is computed again. Versions are random
//! tokens (see [`live_store::Versioned`]), so a stream rebuilt after a Redis restart cannot
//! carry a version this node remembers. Any decision that is not a successful compare-and-set
//! (an error such as "superseded", a rebuild from the database) is taken only on a stream read
//! from the store, never on a remembered one; the service enforces that with [`Seen::fresh`].
//!
//! Entries are *taken* out for the length of an operation and put back after it stored. Two
//! requests of one learner on one node at once therefore do not both start from the same
//! memory: the second finds nothing and reads the store.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use penkom_core::UserId;

use crate::stream::StreamState;

/// Independent locks, so that beats of different learners on two cores rarely wait for each
/// other; each lock is held for one map operation.
const SHARDS: usize = 64;
/// Entries per shard before idle ones are swept: 64 × 16,384 ≈ one million learners studying
/// at once on one node. Past that the shard is emptied, which costs each of its learners one
/// extra read, never a wrong answer.
const SHARD_CAPACITY: usize = 16_384;
/// An entry not stored again for this long is dropped at the next sweep: a learner beating
/// every 30 s renews theirs far more often, and an abandoned stream (or one ended or moved to
/// another node) should not hold memory. A shard is swept when it is full, and otherwise at most
/// once per `IDLE` on a store, so memory follows the learners studying now.
const IDLE: Duration = Duration::from_secs(600);

/// A stream as the service last saw it, with the version it had.
#[derive(Debug, Clone)]
pub(crate) struct Seen {
    pub version: u64,
    pub state: Option<StreamState>,
    /// Read from the store in this operation (true), or remembered by this node (false): a
    /// remembered stream may be stale and is only fit to be the base of a compare-and-set.
    pub fresh: bool,
}

struct Entry {
    version: u64,
    state: StreamState,
    used: Instant,
}

struct Shard {
    entries: HashMap<UserId, Entry>,
    swept: Instant,
}

impl Default for Shard {
    fn default() -> Self {
        Self { entries: HashMap::new(), swept: Instant::now() }
    }
}

pub(crate) struct StreamCache {
    shards: Vec<Mutex<Shard>>,
    shard_capacity: usize,
}

impl StreamCache {
    pub fn new() -> Self {
        Self::with_shard_capacity(SHARD_CAPACITY)
    }

    fn with_shard_capacity(shard_capacity: usize) -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::default()).collect(), shard_capacity }
    }

    fn shard(&self, person: UserId) -> std::sync::MutexGuard<'_, Shard> {
        // The low bits of a UUIDv7 are random, so they spread learners evenly. No operation can
        // panic halfway through a map change, so a poisoned lock still guards a valid map.
        let i = (person.0.as_u128() as usize) % SHARDS;
        self.shards[i].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Takes the remembered stream of `person` out of the cache.
    pub fn take(&self, person: UserId) -> Option<Seen> {
        self.shard(person).entries.remove(&person).map(|e| Seen {
            version: e.version,
            state: Some(e.state),
            fresh: false,
        })
    }

    /// Remembers that `person`'s stream is `state` at `version` (just stored by this node).
    pub fn put(&self, person: UserId, version: u64, state: StreamState) {
        self.put_at(person, version, state, Instant::now());
    }

    fn put_at(&self, person: UserId, version: u64, state: StreamState, now: Instant) {
        let mut shard = self.shard(person);
        let full = shard.entries.len() >= self.shard_capacity;
        if full || now.saturating_duration_since(shard.swept) >= IDLE {
            shard.entries.retain(|_, e| now.saturating_duration_since(e.used) < IDLE);
            shard.swept = now;
            if shard.entries.len() >= self.shard_capacity {
                shard.entries.clear();
            }
        }
        shard.entries.insert(person, Entry { version, state, used: now });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().map_or(0, |s| s.entries.len())).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::Pending;

    fn state(session: u128) -> StreamState {
        StreamState {
            session_id: uuid::Uuid::from_u128(session),
            module_id: uuid::Uuid::nil(),
            version_id: uuid::Uuid::nil(),
            min_engaged_ms: 0,
            last_ms: 0,
            day: "2026-12-01".into(),
            day_base_ms: 0,
            module_base_ms: 0,
            session_base_ms: 0,
            pending: Pending::default(),
            restored: false,
        }
    }

    #[test]
    fn an_entry_is_taken_once_and_comes_back_only_when_put() {
        let cache = StreamCache::new();
        let person = UserId::new();
        assert!(cache.take(person).is_none());
        cache.put(person, 7, state(1));
        let seen = cache.take(person).expect("remembered");
        assert_eq!((seen.version, seen.fresh), (7, false));
        assert_eq!(seen.state.map(|s| s.session_id), Some(uuid::Uuid::from_u128(1)));
        assert!(cache.take(person).is_none(), "a concurrent operation reads the store instead");
        cache.put(person, 8, state(2));
        cache.put(person, 9, state(3));
        assert_eq!(cache.take(person).map(|s| s.version), Some(9), "the last store wins");
    }

    #[test]
    fn idle_entries_go_even_when_no_shard_is_full() {
        let cache = StreamCache::new();
        let start = Instant::now();
        let idle: Vec<UserId> = (0..1_000).map(|_| UserId::new()).collect();
        for p in &idle {
            cache.put_at(*p, 1, state(1), start);
        }
        // Every shard is stored to again after the idle time; each sweeps once then.
        let later = start + IDLE + Duration::from_secs(1);
        for _ in 0..20_000 {
            cache.put_at(UserId::new(), 2, state(2), later);
        }
        assert!(idle.iter().all(|p| cache.take(*p).is_none()), "idle entries were swept");
        assert_eq!(cache.len(), 20_000, "recent entries stay");
    }

    #[test]
    fn memory_stays_bounded_however_many_learners() {
        let cache = StreamCache::with_shard_capacity(100);
        for _ in 0..(SHARDS * 100 * 3) {
            cache.put(UserId::new(), 1, state(1));
        }
        assert!(cache.len() <= SHARDS * 100, "{} entries", cache.len());
        assert!(cache.len() >= SHARDS * 10, "recent entries are kept: {}", cache.len());
    }
}
