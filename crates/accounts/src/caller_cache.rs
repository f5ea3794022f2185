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
//! journal once a second and evicts what it names, so another node stops honouring a revoked
//! token within about a second; the local node stops at once. If the live store is down, the
//! cache's time to live still bounds how long a revoked token can be honoured.
//!
//! An entry is stamped with the time *before* its database read. A revocation made at time `t`
//! invalidates every entry stamped before `t` (plus a margin for clock skew between nodes), so
//! a read that raced the revoking transaction cannot outlive it in the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
/// Entries stamped this close before a revocation are dropped too: node clocks may differ a
/// little, and a needless database read costs far less than honouring a revoked token.
const SKEW_MARGIN: chrono::Duration = chrono::Duration::seconds(5);
/// The live-store key of the journal, shared by every node.
const JOURNAL_KEY: &str = "auth:revocations";
/// Entries per shard before expired ones are swept (and, if that is not enough, the shard is
/// emptied). Sixteen shards of 16,384 entries hold a busy city's learners comfortably.
const SHARD_CAPACITY: usize = 16_384;
const SHARDS: usize = 16;

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
    pub at: DateTime<Utc>,
    pub target: Target,
}

struct Entry {
    caller: Arc<Caller>,
    token_expires_at: DateTime<Utc>,
    stamped_at: DateTime<Utc>,
}

/// What this node has learned from the journal.
#[derive(Default)]
struct Revoked {
    /// Person → time of their latest revocation.
    persons: HashMap<UserId, DateTime<Utc>>,
    /// Time of the latest revocation of everything.
    all: Option<DateTime<Utc>>,
    /// Journal entries already applied, with their time (pruned with the journal).
    applied: HashMap<u64, DateTime<Utc>>,
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

    pub(crate) fn get(&self, token_hash: &str, now: DateTime<Utc>) -> Lookup {
        let mut shard = lock(self.shard(token_hash));
        let Some(entry) = shard.get(token_hash) else { return Lookup::Miss };
        if now - entry.stamped_at >= ttl() || self.is_revoked(entry) {
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
        let before = |at: &DateTime<Utc>| entry.stamped_at <= *at + SKEW_MARGIN;
        revoked.all.as_ref().is_some_and(before) || revoked.persons.get(&entry.caller.id).is_some_and(before)
    }

    /// Remembers `caller`, read from the database after `stamped_at`.
    pub(crate) fn put(
        &self,
        caller: Arc<Caller>,
        token_expires_at: DateTime<Utc>,
        stamped_at: DateTime<Utc>,
    ) {
        let mut shard = lock(self.shard(&caller.token_hash));
        if shard.len() >= SHARD_CAPACITY {
            shard.retain(|_, e| stamped_at - e.stamped_at < ttl());
            if shard.len() >= SHARD_CAPACITY {
                // Every entry is fresh: more callers than the cache holds. Starting over costs
                // one database read per caller and keeps memory bounded.
                shard.clear();
            }
        }
        let entry = Entry { caller, token_expires_at, stamped_at };
        if !self.is_revoked(&entry) {
            shard.insert(entry.caller.token_hash.clone(), entry);
        }
    }

    /// Applies journal entries; entries seen before are skipped.
    pub(crate) fn apply(&self, entries: &[Revocation], now: DateTime<Utc>) {
        let mut fresh = Vec::new();
        {
            let mut revoked = lock(&self.revoked);
            let horizon = now - ttl() - SKEW_MARGIN;
            revoked.applied.retain(|_, at| *at > horizon);
            revoked.persons.retain(|_, at| *at > horizon);
            for e in entries {
                if revoked.applied.insert(e.id, e.at).is_some() {
                    continue;
                }
                match &e.target {
                    Target::Token(hash) => fresh.push(hash.clone()),
                    Target::Person(id) => {
                        let at = revoked.persons.entry(UserId(*id)).or_insert(e.at);
                        *at = (*at).max(e.at);
                    }
                    Target::All => revoked.all = Some(revoked.all.map_or(e.at, |a| a.max(e.at))),
                }
            }
        }
        // Token entries are removed outright; person and global revocations are checked on
        // lookup, which costs one map probe instead of a scan of every shard.
        for hash in fresh {
            lock(self.shard(&hash)).remove(&hash);
        }
    }
}

fn ttl() -> chrono::Duration {
    chrono::Duration::from_std(CACHE_TTL).unwrap_or(chrono::Duration::MAX)
}

/// Locks a mutex, recovering from poisoning: the maps hold no invariant a panicking holder could
/// have broken halfway.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Appends `target` to the shared journal, dropping entries too old to matter (older than the
/// cache's time to live). Retries on concurrent appends from other nodes.
pub(crate) async fn publish(live: &dyn LiveStore, entry: &Revocation) -> Result<(), LiveStoreError> {
    let now = entry.at;
    loop {
        let loaded = live.load(JOURNAL_KEY).await?;
        let version = loaded.as_ref().map_or(0, |v| v.version);
        let mut entries = loaded.map(|v| decode(&v.value)).unwrap_or_default();
        let horizon = now - ttl() - SKEW_MARGIN;
        entries.retain(|e| e.at > horizon);
        entries.push(entry.clone());
        let bytes = serde_json::to_vec(&entries).unwrap_or_default();
        // The journal outlives its entries by far, so it never expires while in use.
        if live.store_if(JOURNAL_KEY, version, &bytes, Duration::from_secs(3600)).await? {
            return Ok(());
        }
    }
}

/// Reads the shared journal.
pub(crate) async fn read(live: &dyn LiveStore) -> Result<Vec<Revocation>, LiveStoreError> {
    Ok(live.load(JOURNAL_KEY).await?.map(|v| decode(&v.value)).unwrap_or_default())
}

fn decode(bytes: &[u8]) -> Vec<Revocation> {
    // A journal this version cannot read is treated as empty; the cache's time to live still
    // bounds staleness.
    serde_json::from_slice(bytes).unwrap_or_default()
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

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn hits_until_the_entry_is_stale_and_reports_expired_tokens() {
        let cache = CallerCache::new();
        cache.put(caller(1, "aa"), t(1000), t(0));
        assert!(matches!(cache.get("aa", t(30)), Lookup::Hit(c) if c.token_hash == "aa"));
        assert!(matches!(cache.get("bb", t(30)), Lookup::Miss));
        assert!(matches!(cache.get("aa", t(299)), Lookup::Hit(_)));
        assert!(matches!(cache.get("aa", t(300)), Lookup::Miss), "stale after the time to live");
        cache.put(caller(1, "aa"), t(400), t(395));
        assert!(matches!(cache.get("aa", t(400)), Lookup::Expired));
    }

    #[test]
    fn revocations_evict_tokens_people_and_everything() {
        let cache = CallerCache::new();
        cache.put(caller(1, "a1"), t(1000), t(0));
        cache.put(caller(1, "a2"), t(1000), t(0));
        cache.put(caller(2, "b1"), t(1000), t(0));
        let rev = |id, at, target| Revocation { id, at: t(at), target };
        cache.apply(&[rev(1, 10, Target::Token("a1".into()))], t(10));
        assert!(matches!(cache.get("a1", t(11)), Lookup::Miss));
        assert!(matches!(cache.get("a2", t(11)), Lookup::Hit(_)));
        cache.apply(&[rev(2, 12, Target::Person(uuid::Uuid::from_u128(1)))], t(12));
        assert!(matches!(cache.get("a2", t(13)), Lookup::Miss));
        assert!(matches!(cache.get("b1", t(13)), Lookup::Hit(_)));
        // An entry read well after the revocation is trusted again.
        cache.put(caller(1, "a2"), t(1000), t(20));
        assert!(matches!(cache.get("a2", t(21)), Lookup::Hit(_)));
        // One read racing the revocation (stamped before it) is not cached.
        cache.put(caller(1, "a3"), t(1000), t(11));
        assert!(matches!(cache.get("a3", t(21)), Lookup::Miss));
        cache.apply(&[rev(3, 22, Target::All)], t(22));
        assert!(matches!(cache.get("b1", t(23)), Lookup::Miss));
        assert!(matches!(cache.get("a2", t(23)), Lookup::Miss));
    }

    #[test]
    fn an_entry_is_applied_once() {
        let cache = CallerCache::new();
        let entry = Revocation { id: 7, at: t(10), target: Target::Token("a1".into()) };
        cache.apply(std::slice::from_ref(&entry), t(10));
        // Re-cached after sign-in with the same hash cannot happen (hashes are of random
        // tokens), but a re-read journal must not evict again what was legitimately cached.
        cache.put(caller(1, "a1"), t(1000), t(30));
        cache.apply(std::slice::from_ref(&entry), t(31));
        assert!(matches!(cache.get("a1", t(32)), Lookup::Hit(_)));
    }

    #[test]
    fn memory_stays_bounded() {
        let cache = CallerCache::new();
        for i in 0..(SHARDS * SHARD_CAPACITY * 2) {
            cache.put(caller(i as u128, &format!("{i:064x}")), t(1000), t(0));
        }
        let total: usize = cache.shards.iter().map(|s| lock(s).len()).sum();
        assert!(total <= SHARDS * SHARD_CAPACITY, "{total} entries");
    }

    #[tokio::test]
    async fn the_journal_keeps_recent_entries_from_every_publisher() {
        let live = MemoryStore::new();
        for (id, at, target) in [
            (1, 0, Target::Token("x".into())),
            (2, 400, Target::All),
            (3, 401, Target::Person(uuid::Uuid::from_u128(3))),
        ] {
            publish(&live, &Revocation { id, at: t(at), target }).await.unwrap();
        }
        let entries = read(&live).await.unwrap();
        let targets: Vec<Target> = entries.into_iter().map(|e| e.target).collect();
        assert_eq!(
            targets,
            vec![Target::All, Target::Person(uuid::Uuid::from_u128(3))],
            "old entries pruned"
        );
    }
}
