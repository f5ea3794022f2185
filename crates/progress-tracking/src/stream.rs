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
    /// Server time (ms) where this evidence starts: the session start, or the last accepted
    /// beat when the previous segment was written (where that segment ends). A session's
    /// segments thus follow one another, and a segment is named by its session and start.
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
    /// Set on a stream rebuilt from the database after the live store lost it, until its first
    /// accepted beat. `last_ms` is then the last beat the database knows (the last checkpoint);
    /// the beats after it were lost with the live store. See [`StreamState::restored`].
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub restored: bool,
}

/// What the database knows of a stream: enough to rebuild it after the live store lost it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durable {
    pub session_id: Uuid,
    pub module_id: Uuid,
    pub version_id: Uuid,
    pub min_engaged_ms: i64,
    /// Server time (ms) of the last beat written to the database: the end of the learner's last
    /// segment, or the session start if it is later.
    pub last_ms: i64,
    pub day: String,
    pub day_base_ms: i64,
    pub module_base_ms: i64,
    pub session_base_ms: i64,
}

/// When a checkpoint is due: after this much credit, or this long since the last one (so that
/// evidence of rejected time does not wait for credit that may never come).
pub const CHECKPOINT_CREDIT_MS: i64 = 60_000;
pub const CHECKPOINT_AGE_MS: i64 = 5 * 60_000;

impl StreamState {
    /// The stream rebuilt from what the database knows, after the live store lost it (a Redis
    /// restart, an expired key).
    ///
    /// It starts at the last beat the database knows, not at the beat that found it missing:
    /// the first beat after the loss is judged against that checkpoint, so it earns the time the
    /// lost beats would have earned, up to one beat's cap, and never time written evidence
    /// already covers. That first beat is judged with the idle limit widened by
    /// [`CHECKPOINT_AGE_MS`], the longest evidence can wait for a checkpoint: a gap of that size
    /// since the checkpoint may hide accepted beats that were lost, and judging it as idle would
    /// forfeit the next beat's credit on top of the lost pending credit. With it, a loss costs at
    /// most the credit that was pending (under [`CHECKPOINT_CREDIT_MS`]) plus, when the beat that
    /// found the loss came too soon after the last lost one to be accepted, that short gap
    /// (under the minimum gap). The price is that the first beat may be credited, up to one
    /// beat's cap, for time a lost beat had refused (a hidden page) or for an absence the normal
    /// idle limit would have refused: never more than the wall clock since the checkpoint, so
    /// never more than the wall clock in all.
    pub fn restored(d: Durable) -> StreamState {
        StreamState {
            session_id: d.session_id,
            module_id: d.module_id,
            version_id: d.version_id,
            min_engaged_ms: d.min_engaged_ms,
            last_ms: d.last_ms,
            day: d.day,
            day_base_ms: d.day_base_ms,
            module_base_ms: d.module_base_ms,
            session_base_ms: d.session_base_ms,
            pending: Pending::starting_at(d.last_ms),
            restored: true,
        }
    }

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
        let widened;
        let policy = if self.restored {
            widened = CreditPolicy { idle_limit_ms: policy.idle_limit_ms + CHECKPOINT_AGE_MS, ..*policy };
            &widened
        } else {
            policy
        };
        let verdict = judge_beat(policy, self.last_ms, now_ms, visible, active, self.today_credited_ms());
        match verdict {
            BeatVerdict::TooFast { .. } => self.pending.too_fast += 1,
            BeatVerdict::Accepted { credited_ms, rejected_ms, reason, .. } => {
                self.pending.beats += 1;
                self.pending.credited_ms += credited_ms;
                if let Some(r) = reason {
                    *self.pending.rejected_ms.entry(r).or_default() += rejected_ms;
                }
                self.last_ms = now_ms;
                self.restored = false;
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

    /// Whether the pending evidence holds an accepted beat, so that writing it covers time.
    /// Refused beats alone make a segment that starts and ends at one instant; such evidence
    /// waits for the next checkpoint (or the end), because the segment after it would start at
    /// the same instant, and a session's segments are told apart by where they start.
    pub fn pending_covers_time(&self) -> bool {
        self.pending.beats > 0
    }

    /// The stream moved to the local day `day`, whose credit so far (by other streams) is
    /// `day_base_ms`, and the evidence to write first as the old day's segment, ending at the
    /// last accepted beat. Evidence of refused beats alone carries over instead (see
    /// [`StreamState::pending_covers_time`]); it holds no credit, so no day's total changes.
    pub fn on_new_day(&self, day: &str, day_base_ms: i64) -> (StreamState, Option<Pending>) {
        if self.pending_covers_time() {
            (self.checkpointed(self.last_ms, day, Some(day_base_ms)), Some(self.pending.clone()))
        } else {
            let mut next = self.clone();
            next.day = day.to_string();
            next.day_base_ms = day_base_ms;
            (next, None)
        }
    }

    /// The state after its pending evidence was written up to `now_ms` (the last accepted beat,
    /// where the next evidence starts): bases absorb it, and the stream moves to `day` (whose
    /// credit so far is `day_base_ms` when the day changed).
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
    use proptest::prelude::*;

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
            restored: false,
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

    /// What the database holds in the model below: credit written, and the last beat written.
    struct Written {
        credited_ms: i64,
        last_ms: i64,
    }

    /// Runs beats (gap since the previous beat, visible, active) through one stream the way the
    /// service does, checkpointing when due. Just before each beat whose index is in `losses`,
    /// the live store loses the stream and the beat rebuilds it from what was written. Returns
    /// the credit at the end (written and pending) and the wall-clock time that passed.
    fn run(p: &CreditPolicy, beats: &[(i64, bool, bool)], losses: &[usize]) -> (i64, i64) {
        let start = 1_000_000;
        let mut db = Written { credited_ms: 0, last_ms: start };
        let mut s = state();
        s.module_base_ms = 0;
        s.last_ms = start;
        s.pending = Pending::starting_at(start);
        let mut now = start;
        for (i, &(gap, visible, active)) in beats.iter().enumerate() {
            now += gap;
            if losses.contains(&i) {
                s = StreamState::restored(Durable {
                    session_id: s.session_id,
                    module_id: s.module_id,
                    version_id: s.version_id,
                    min_engaged_ms: s.min_engaged_ms,
                    last_ms: db.last_ms,
                    day: s.day.clone(),
                    day_base_ms: db.credited_ms,
                    module_base_ms: db.credited_ms,
                    session_base_ms: db.credited_ms,
                });
            }
            s.beat(p, now, visible, active);
            if s.checkpoint_due(now) {
                // As the service: the segment ends at the last accepted beat.
                db.credited_ms += s.pending.credited_ms;
                db.last_ms = s.last_ms;
                s = s.checkpointed(s.last_ms, &s.day.clone(), None);
            }
        }
        (s.module_credited_ms(), now - start)
    }

    /// Beats as clients send them: mostly on time, some late, early, hidden or idle.
    fn beats() -> impl Strategy<Value = Vec<(i64, bool, bool)>> {
        prop::collection::vec((0i64..200_000, prop::bool::weighted(0.85), prop::bool::weighted(0.85)), 1..120)
    }

    /// Beats that are all on screen and active, `spacing` ms apart.
    fn steady(spacing: i64, n: usize) -> Vec<(i64, bool, bool)> {
        vec![(spacing, true, true); n]
    }

    #[test]
    fn a_loss_at_any_point_of_steady_beats_costs_less_than_one_checkpoint_interval() {
        let p = CreditPolicy::default();
        // Every spacing the rules credit, from the minimum gap to the idle limit.
        for spacing in (p.min_gap_ms..=p.idle_limit_ms).step_by(1_000) {
            let beats = steady(spacing, 40);
            let (kept, _) = run(&p, &beats, &[]);
            for at in 0..beats.len() {
                let (after_loss, wall) = run(&p, &beats, &[at]);
                let lost = kept - after_loss;
                assert!(
                    lost < CHECKPOINT_CREDIT_MS,
                    "spacing {spacing} ms, loss before beat {at}: lost {lost} ms"
                );
                assert!(
                    after_loss <= kept && after_loss <= wall,
                    "spacing {spacing} ms: a steady stream gains nothing"
                );
            }
        }
    }

    proptest! {
        #[test]
        fn a_loss_costs_under_a_checkpoint_interval_and_a_minimum_gap_and_gains_under_two_beat_caps(
            seq in beats(),
            at in 0usize..120,
        ) {
            let p = CreditPolicy::default();
            let (kept, wall) = run(&p, &seq, &[]);
            let (after_loss, _) = run(&p, &seq, &[at % seq.len()]);
            prop_assert!(after_loss <= wall, "credited {after_loss} ms in {wall} ms of wall clock");
            prop_assert!(kept - after_loss < CHECKPOINT_CREDIT_MS + p.min_gap_ms, "lost {} ms", kept - after_loss);
            prop_assert!(after_loss - kept < 2 * p.beat_cap_ms(), "gained {} ms", after_loss - kept);
        }

        #[test]
        fn however_often_the_stream_is_lost_credit_stays_within_the_wall_clock_and_the_daily_cap(
            seq in beats(),
            losses in prop::collection::vec(0usize..120, 0..40),
        ) {
            let p = CreditPolicy { daily_cap_ms: 3_600_000, ..CreditPolicy::default() };
            let (credited, wall) = run(&p, &seq, &losses);
            prop_assert!(credited <= wall, "credited {credited} ms in {wall} ms of wall clock");
            prop_assert!(credited <= p.daily_cap_ms);
        }
    }
}
