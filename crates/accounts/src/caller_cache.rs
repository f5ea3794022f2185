//! An in-process cache of authenticated callers, with revocation shared through the live store.
//!
//! Recognising a token costs three small database queries (token, person, roles). On the
//! heartbeat path, which otherwise touches only the live store, those queries were the whole
//! cost of a request, so each node remembers who a token belongs to for a short time.
//!
//! A cache of credentials is only safe if taking a credential away reaches every node quickly.
//! Whatever revokes or changes a credential (sign-out, a password change, a one-time password,
//! an import that changes roles) first commits the change to the database, then evicts locally
//! and appends a [`Revocation`] to a small journal in the live store. Every node reads that
//! journal once a second and applies what is new to it, so another node stops honouring a revoked
//! token within about a second; the local node stops at once.
//!
//! Ordering without clocks: an entry is stamped with this node's monotonic time *before* its
//! database read, and a revocation with this node's monotonic time when it is *applied here*.
//! An entry stamped at or before that moment is discarded (also when its `put` comes later):
//! its read may have begun before the revoking transaction committed. A read that begins after
//! the moment began after the commit (the change is committed before it is published), so it
//! sees the change. No wall clock is compared across nodes, so clock skew and the simulated
//! clock (which an administrator moves by days) cannot weaken revocation.
//!
//! Known gap: a change made by the command line (`penkom users …`) runs in another process. With
//! Redis it publishes to the same journal; with the embedded in-process store it cannot reach a
//! running server, whose cached entries then live out their time to live (five minutes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use live_store::{LiveStore, LiveStoreError};
use penkom_core::UserId;
use serde::{Deserialize, Serialize};

use crate::signin::Caller;

/// How long an entry is trusted without asking the database again. Revocations reach every node
/// through the journal within a second, so this only bounds staleness when the live store is
/// unreachable (and then heartbeats fail anyway). Five minutes keeps a learner beating every
/// 30 s at one database read per ten beats.
pub const CACHE_TTL: Duration = Duration::from_secs(300);
/// How long journal entries are kept: longer than the time to live plus a few reads, so every
/// node reads each entry while any entry it could revoke still lives.
const JOURNAL_KEEP: Duration = Duration::from_secs(360);
/// At most this many entries are kept, however busy; older ones go first.
const JOURNAL_MAX: usize = 10_000;
/// The live-store key of the journal, shared by every node.
const JOURNAL_KEY: &str = "auth:revocations";
/// Entries per shard before expired ones are swept (and, if that is not enough, the shard is
/// emptied). Sixteen shards of 16,384 entries hold a busy city's learners comfortably.
const SHARD_CAPACITY: usize = 16_384;
const SHARDS: usize = 16;
/// Compare-and-set attempts of one append before giving up (only under a storm of sign-outs).
const MAX_APPEND_ATTEMPTS: usize = 20;

/// What a revocation takes away.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Target {
    /// One token (by its stored hash), e.g. after sign-out.
    Token(String),
    /// Every token of one person, e.g. after a password change.
    Person(uuid::Uuid),
    /// Every cached caller, e.g. after an import that may have changed many people's roles.
    All,
}

/// One entry of the shared journal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revocation {
    /// A random id, so a node applies each entry once however often it reads the journal.
    pub id: u64,
    /// Wall time of the publisher (the system clock, not the simulated one), used only to prune
    /// the journal.
    pub at: DateTime<Utc>,
    pub target: Target,
}

impl Revocation {
    pub fn new(target: Target) -> Self {
        // The system's clock on purpose, not the injected one: see the field's doc.
        Self { id: rand::random(), at: penkom_core::Clock::now(&penkom_core::SystemClock), target }
    }
}

struct Entry {
    caller: Arc<Caller>,
    token_expires_at: DateTime<Utc>,
    stamped: Instant,
}

/// What this node has applied from the journal, each with the local moment it was applied.
#[derive(Default)]
struct Revoked {
    tokens: HashMap<String, Instant>,
    persons: HashMap<UserId, Instant>,
    all: Option<Instant>,
    /// Journal entries already applied.
    applied: HashMap<u64, Instant>,
}

/// The cache. One per [`crate::Accounts`] (and so per node); cheap to share behind an `Arc`.
pub(crate) struct CallerCache {
    shards: Vec<Mutex<HashMap<String, Entry>>>,
    revoked: Mutex<Revoked>,
}

/// The outcome of a lookup.
pub(crate) enum Lookup {
    Hit(Arc<Caller>),
    /// The token is known and past its expiry.
    Expired,
    Miss,
}

impl CallerCache {
    pub(crate) fn new() -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(), revoked: Mutex::default() }
    }

    fn shard(&self, token_hash: &str) -> &Mutex<HashMap<String, Entry>> {
        // The key is a hex SHA-256, so each of its digits is uniformly spread over sixteen values.
        let n = token_hash.chars().last().and_then(|c| c.to_digit(16)).unwrap_or(0) as usize;
        &self.shards[n % SHARDS]
    }

    /// Looks `token_hash` up at monotonic time `at`; `now` (the server clock) judges expiry.
    pub(crate) fn get(&self, token_hash: &str, at: Instant, now: DateTime<Utc>) -> Lookup {
        let mut shard = lock(self.shard(token_hash));
        let Some(entry) = shard.get(token_hash) else { return Lookup::Miss };
        if at.saturating_duration_since(entry.stamped) >= CACHE_TTL || self.is_revoked(entry) {
            shard.remove(token_hash);
            return Lookup::Miss;
        }
        if entry.token_expires_at <= now {
            return Lookup::Expired;
        }
        Lookup::Hit(entry.caller.clone())
    }

    fn is_revoked(&self, entry: &Entry) -> bool {
        let revoked = lock(&self.revoked);
        let after = |applied: &Instant| entry.stamped <= *applied;
        revoked.all.as_ref().is_some_and(after)
            || revoked.persons.get(&entry.caller.id).is_some_and(after)
            || revoked.tokens.get(&entry.caller.token_hash).is_some_and(after)
    }

    /// Remembers `caller`, whose database read began at `stamped`.
    pub(crate) fn put(&self, caller: Arc<Caller>, token_expires_at: DateTime<Utc>, stamped: Instant) {
        let entry = Entry { caller, token_expires_at, stamped };
        if self.is_revoked(&entry) {
            return;
        }
        let mut shard = lock(self.shard(&entry.caller.token_hash));
        if shard.len() >= SHARD_CAPACITY {
            shard.retain(|_, e| stamped.saturating_duration_since(e.stamped) < CACHE_TTL);
            if shard.len() >= SHARD_CAPACITY {
                // Every entry is fresh: more callers than the cache holds. Starting over costs
                // one database read per caller and keeps memory bounded.
                shard.clear();
            }
        }
        shard.insert(entry.caller.token_hash.clone(), entry);
    }

    /// Applies journal entries at monotonic time `at`; entries applied before are skipped.
    pub(crate) fn apply(&self, entries: &[Revocation], at: Instant) {
        let mut fresh = Vec::new();
        {
            let mut revoked = lock(&self.revoked);
            // Anything applied longer ago than the time to live can only concern entries that
            // have expired anyway; ids are kept longer, while the journal may still hold them.
            let live = |t: &Instant| at.saturating_duration_since(*t) < CACHE_TTL;
            revoked.tokens.retain(|_, t| live(t));
            revoked.persons.retain(|_, t| live(t));
            revoked.all = revoked.all.filter(live);
            revoked.applied.retain(|_, t| at.saturating_duration_since(*t) < JOURNAL_KEEP * 2);
            for e in entries {
                if revoked.applied.insert(e.id, at).is_some() {
                    continue;
                }
                match &e.target {
                    Target::Token(hash) => {
                        revoked.tokens.insert(hash.clone(), at);
                        fresh.push(hash.clone());
                    }
                    Target::Person(id) => {
                        revoked.persons.insert(UserId(*id), at);
                    }
                    Target::All => revoked.all = Some(at),
                }
            }
        }
        // Revoked tokens are also removed outright, so memory goes back at once.
        for hash in fresh {
            lock(self.shard(&hash)).remove(&hash);
        }
    }
}

/// Locks a mutex, recovering from poisoning: the maps hold no invariant a panicking holder could
/// have broken halfway.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Appends `entry` to the shared journal, dropping entries too old to matter. Retries on
/// concurrent appends from other nodes, a bounded number of times.
pub(crate) async fn publish(live: &dyn LiveStore, entry: &Revocation) -> Result<(), LiveStoreError> {
    let keep = chrono::Duration::from_std(JOURNAL_KEEP).unwrap_or(chrono::Duration::MAX);
    for _ in 0..MAX_APPEND_ATTEMPTS {
        let loaded = live.load(JOURNAL_KEY).await?;
        let version = loaded.as_ref().map_or(0, |v| v.version);
        // Kept as raw JSON: an entry this version cannot read (from a newer node during a
        // rolling deploy) is passed on, not dropped.
        let mut entries: Vec<serde_json::Value> =
            loaded.and_then(|v| serde_json::from_slice(&v.value).ok()).unwrap_or_default();
        let horizon = penkom_core::Clock::now(&penkom_core::SystemClock) - keep;
        entries.retain(|e| {
            e.get("at")
                .and_then(|a| a.as_str())
                .and_then(|a| DateTime::parse_from_rfc3339(a).ok())
                .is_none_or(|a| a > horizon)
        });
        entries.push(serde_json::to_value(entry).unwrap_or_default());
        if entries.len() > JOURNAL_MAX {
            entries.drain(..entries.len() - JOURNAL_MAX);
        }
        let bytes = serde_json::to_vec(&entries).unwrap_or_default();
        // The journal outlives its entries by far, so it never expires while in use.
        if live.store_if(JOURNAL_KEY, version, &bytes, Duration::from_secs(3600)).await?.is_stored() {
            return Ok(());
        }
    }
    Err(LiveStoreError::Unavailable("the revocation journal is too busy".into()))
}

/// Reads the shared journal: every entry this version understands.
pub(crate) async fn read(live: &dyn LiveStore) -> Result<Vec<Revocation>, LiveStoreError> {
    let raw: Vec<serde_json::Value> =
        live.load(JOURNAL_KEY).await?.and_then(|v| serde_json::from_slice(&v.value).ok()).unwrap_or_default();
    Ok(raw.into_iter().filter_map(|e| serde_json::from_value(e).ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use live_store::MemoryStore;
    use penkom_core::Role;

    fn caller(person: u128, token: &str) -> Arc<Caller> {
        Arc::new(Caller {
            id: UserId(uuid::Uuid::from_u128(person)),
            roles: vec![Role::Learner],
            opd_id: None,
            must_change_password: false,
            token_hash: token.into(),
        })
    }

    /// A fixed origin for monotonic times, and `s` seconds after it.
    fn clock() -> impl Fn(u64) -> Instant {
        let origin = Instant::now();
        move |s| origin + Duration::from_secs(s)
    }

    fn wall(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    fn rev(id: u64, target: Target) -> Revocation {
        Revocation { id, at: penkom_core::Clock::now(&penkom_core::SystemClock), target }
    }

    #[test]
    fn hits_until_the_entry_is_stale_and_reports_expired_tokens() {
        let t = clock();
        let cache = CallerCache::new();
        cache.put(caller(1, "aa"), wall(1000), t(0));
        assert!(matches!(cache.get("aa", t(30), wall(30)), Lookup::Hit(c) if c.token_hash == "aa"));
        assert!(matches!(cache.get("bb", t(30), wall(30)), Lookup::Miss));
        assert!(matches!(cache.get("aa", t(299), wall(299)), Lookup::Hit(_)));
        assert!(matches!(cache.get("aa", t(300), wall(300)), Lookup::Miss), "stale after the time to live");
        cache.put(caller(1, "aa"), wall(400), t(300));
        assert!(
            matches!(cache.get("aa", t(301), wall(400)), Lookup::Expired),
            "expiry follows the server clock"
        );
    }

    #[test]
    fn revocations_evict_tokens_people_and_everything() {
        let t = clock();
        let cache = CallerCache::new();
        cache.put(caller(1, "a1"), wall(1000), t(0));
        cache.put(caller(1, "a2"), wall(1000), t(0));
        cache.put(caller(2, "b1"), wall(1000), t(0));
        cache.apply(&[rev(1, Target::Token("a1".into()))], t(10));
        assert!(matches!(cache.get("a1", t(11), wall(0)), Lookup::Miss));
        assert!(matches!(cache.get("a2", t(11), wall(0)), Lookup::Hit(_)));
        cache.apply(&[rev(2, Target::Person(uuid::Uuid::from_u128(1)))], t(12));
        assert!(matches!(cache.get("a2", t(13), wall(0)), Lookup::Miss));
        assert!(matches!(cache.get("b1", t(13), wall(0)), Lookup::Hit(_)));
        // An entry read after the revocation was applied is trusted again.
        cache.put(caller(1, "a2"), wall(1000), t(20));
        assert!(matches!(cache.get("a2", t(21), wall(0)), Lookup::Hit(_)));
        cache.apply(&[rev(3, Target::All)], t(22));
        assert!(matches!(cache.get("b1", t(23), wall(0)), Lookup::Miss));
        assert!(matches!(cache.get("a2", t(23), wall(0)), Lookup::Miss));
    }

    #[test]
    fn a_read_that_raced_a_revocation_is_not_cached() {
        let t = clock();
        let cache = CallerCache::new();
        // A request began reading token "x" (stamped 5), the token was revoked and the
        // revocation applied (6), and only then did the request try to cache what it read.
        cache.apply(&[rev(1, Target::Token("x".into()))], t(6));
        cache.put(caller(1, "x"), wall(1000), t(5));
        assert!(matches!(cache.get("x", t(7), wall(0)), Lookup::Miss));
        cache.apply(&[rev(2, Target::Person(uuid::Uuid::from_u128(2)))], t(6));
        cache.put(caller(2, "y"), wall(1000), t(5));
        assert!(matches!(cache.get("y", t(7), wall(0)), Lookup::Miss));
    }

    #[test]
    fn an_entry_is_applied_once() {
        let t = clock();
        let cache = CallerCache::new();
        let entry = rev(7, Target::Person(uuid::Uuid::from_u128(1)));
        cache.apply(std::slice::from_ref(&entry), t(10));
        cache.put(caller(1, "a1"), wall(1000), t(30));
        // The journal is read every second; reading the same entry again changes nothing.
        cache.apply(std::slice::from_ref(&entry), t(31));
        assert!(matches!(cache.get("a1", t(32), wall(0)), Lookup::Hit(_)));
    }

    #[test]
    fn memory_stays_bounded() {
        let t = clock();
        let cache = CallerCache::new();
        for i in 0..(SHARDS * SHARD_CAPACITY * 2) {
            cache.put(caller(i as u128, &format!("{i:064x}")), wall(1000), t(0));
        }
        let total: usize = cache.shards.iter().map(|s| lock(s).len()).sum();
        assert!(total <= SHARDS * SHARD_CAPACITY, "{total} entries");
    }

    #[tokio::test]
    async fn the_journal_keeps_recent_and_unknown_entries() {
        let live = MemoryStore::new();
        let old = Revocation {
            id: 1,
            at: penkom_core::Clock::now(&penkom_core::SystemClock) - chrono::Duration::hours(1),
            target: Target::All,
        };
        publish(&live, &old).await.unwrap();
        publish(&live, &rev(2, Target::Token("x".into()))).await.unwrap();
        // An entry from a newer version, which this one cannot read, is kept for others.
        let loaded = live.load(JOURNAL_KEY).await.unwrap().unwrap();
        let mut raw: Vec<serde_json::Value> = serde_json::from_slice(&loaded.value).unwrap();
        raw.push(serde_json::json!({"id": 9, "at": penkom_core::Clock::now(&penkom_core::SystemClock), "target": {"kind": "future"}}));
        assert!(
            live.store_if(JOURNAL_KEY, loaded.version, &serde_json::to_vec(&raw).unwrap(), CACHE_TTL)
                .await
                .unwrap()
                .is_stored()
        );
        publish(&live, &rev(3, Target::Person(uuid::Uuid::from_u128(3)))).await.unwrap();
        let targets: Vec<Target> = read(&live).await.unwrap().into_iter().map(|e| e.target).collect();
        assert_eq!(
            targets,
            vec![Target::Token("x".into()), Target::Person(uuid::Uuid::from_u128(3))],
            "old entry pruned"
        );
        let loaded = live.load(JOURNAL_KEY).await.unwrap().unwrap();
        assert!(String::from_utf8(loaded.value).unwrap().contains("future"), "unknown entry passed on");
    }
}
