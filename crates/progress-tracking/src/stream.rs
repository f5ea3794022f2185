//! The state of a learner's one active study stream, as kept in the live store, and how a beat
//! changes it. Pure: the service loads the state, calls [`StreamState::beat`], and stores the
//! result with a compare-and-set.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::credit::{BeatVerdict, CreditPolicy, Rejection, judge_beat};

/// Evidence gathered since the last checkpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Server time (ms) of the first event since the checkpoint.
    pub from_ms: i64,
    pub beats: u32,
    pub too_fast: u32,
    pub credited_ms: i64,
    pub rejected_ms: BTreeMap<Rejection, i64>,
}

impl Pending {
    fn starting_at(from_ms: i64) -> Self {
        Self { from_ms, ..Self::default() }
    }

    pub fn is_empty(&self) -> bool {
        self.beats == 0 && self.too_fast == 0
    }
}

/// A learner's active stream. Bases are what the database already holds; `pending` is what
/// only the live store holds (at most one checkpoint interval of credit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamState {
    pub session_id: Uuid,
    pub module_id: Uuid,
    pub version_id: Uuid,
    pub min_engaged_ms: i64,
    /// Server time (ms) of the last accepted beat, or of the session start.
    pub last_ms: i64,
    /// The local day (`YYYY-MM-DD`) that `day_base_ms` and `pending` count for.
    pub day: String,
    pub day_base_ms: i64,
    pub module_base_ms: i64,
    pub session_base_ms: i64,
    pub pending: Pending,
}

/// When a checkpoint is due: after this much credit, or this long since the last one (so that
/// evidence of rejected time does not wait for credit that may never come).
pub const CHECKPOINT_CREDIT_MS: i64 = 60_000;
pub const CHECKPOINT_AGE_MS: i64 = 5 * 60_000;

impl StreamState {
    pub fn session_credited_ms(&self) -> i64 {
        self.session_base_ms + self.pending.credited_ms
    }

    pub fn module_credited_ms(&self) -> i64 {
        self.module_base_ms + self.pending.credited_ms
    }

    pub fn today_credited_ms(&self) -> i64 {
        self.day_base_ms + self.pending.credited_ms
    }

    /// Applies a beat at `now_ms` (local day `day`). A beat on a new day must come after a
    /// checkpoint that moved the stream to that day ([`StreamState::checkpointed`]).
    pub fn beat(&mut self, policy: &CreditPolicy, now_ms: i64, visible: bool, active: bool) -> BeatVerdict {
        let verdict = judge_beat(policy, self.last_ms, now_ms, visible, active, self.today_credited_ms());
        if self.pending.is_empty() {
            self.pending.from_ms = self.last_ms;
        }
        match verdict {
            BeatVerdict::TooFast { .. } => self.pending.too_fast += 1,
            BeatVerdict::Accepted { credited_ms, rejected_ms, reason, .. } => {
                self.pending.beats += 1;
                self.pending.credited_ms += credited_ms;
                if let Some(r) = reason {
                    *self.pending.rejected_ms.entry(r).or_default() += rejected_ms;
                }
                self.last_ms = now_ms;
            }
        }
        verdict
    }

    /// Whether the pending evidence should be written to the database now.
    pub fn checkpoint_due(&self, now_ms: i64) -> bool {
        !self.pending.is_empty()
            && (self.pending.credited_ms >= CHECKPOINT_CREDIT_MS
                || now_ms - self.pending.from_ms >= CHECKPOINT_AGE_MS)
    }

    /// The state after its pending evidence was written: bases absorb it, and the stream moves
    /// to `day` (whose credit so far is `day_base_ms` when the day changed).
    pub fn checkpointed(&self, now_ms: i64, day: &str, new_day_base_ms: Option<i64>) -> StreamState {
        let mut next = self.clone();
        next.session_base_ms += self.pending.credited_ms;
        next.module_base_ms += self.pending.credited_ms;
        next.day_base_ms = match new_day_base_ms {
            Some(base) => base,
            None => self.day_base_ms + self.pending.credited_ms,
        };
        next.day = day.to_string();
        next.pending = Pending::starting_at(now_ms);
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> StreamState {
        StreamState {
            session_id: Uuid::nil(),
            module_id: Uuid::nil(),
            version_id: Uuid::nil(),
            min_engaged_ms: 600_000,
            last_ms: 0,
            day: "2026-11-02".into(),
            day_base_ms: 0,
            module_base_ms: 120_000,
            session_base_ms: 0,
            pending: Pending::default(),
        }
    }

    #[test]
    fn beats_accumulate_and_checkpoints_move_pending_into_bases() {
        let p = CreditPolicy::default();
        let mut s = state();
        s.beat(&p, 30_000, true, true);
        s.beat(&p, 31_000, true, true); // too fast
        s.beat(&p, 60_000, false, true); // hidden
        assert_eq!(s.pending.beats, 2);
        assert_eq!(s.pending.too_fast, 1);
        assert_eq!(s.pending.credited_ms, 30_000);
        assert_eq!(s.pending.rejected_ms[&Rejection::NotVisible], 30_000);
        assert!(!s.checkpoint_due(60_000));
        s.beat(&p, 90_000, true, true);
        assert!(s.checkpoint_due(90_000));
        assert_eq!(s.module_credited_ms(), 180_000);
        let next = s.checkpointed(90_000, "2026-11-02", None);
        assert_eq!((next.session_base_ms, next.module_base_ms, next.day_base_ms), (60_000, 180_000, 60_000));
        assert!(next.pending.is_empty());
        assert_eq!(next.module_credited_ms(), s.module_credited_ms(), "a checkpoint changes no total");
        let new_day = s.checkpointed(90_000, "2026-11-03", Some(0));
        assert_eq!(new_day.today_credited_ms(), 0);
    }
}
