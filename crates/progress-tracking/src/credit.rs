//! The crediting rules: how much engaged study time one heartbeat earns. Pure functions of
//! server times and the two booleans a client sends; property-tested below.
//!
//! Only the server clock counts. A client sends `visible` (the page is on screen) and `active`
//! (the learner interacted since the last beat), never a time or a duration. A beat earns the
//! time since the previous accepted beat, capped at the heartbeat interval plus a grace period,
//! and nothing for an idle gap, a hidden page or an inactive learner. Because a learner has one
//! stream at a time, and each beat earns only time after the previous accepted one, the credit of
//! all a learner's sessions together can never exceed the wall-clock time that passed.

use serde::{Deserialize, Serialize};

/// Tunable crediting policy, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditPolicy {
    /// How often clients are asked to beat.
    pub interval_ms: i64,
    /// Extra time a beat may credit beyond the interval (network jitter, a busy browser).
    pub grace_ms: i64,
    /// A gap longer than this since the last accepted beat earns nothing: the learner was away.
    pub idle_limit_ms: i64,
    /// Beats closer together than this are refused (rate-limited) and earn nothing; the next
    /// accepted beat still earns the time since the last accepted one, so nothing is lost.
    pub min_gap_ms: i64,
    /// Credit per learner per local day.
    pub daily_cap_ms: i64,
}

impl Default for CreditPolicy {
    fn default() -> Self {
        Self {
            interval_ms: 30_000,
            grace_ms: 15_000,
            idle_limit_ms: 120_000,
            min_gap_ms: 5_000,
            daily_cap_ms: 8 * 3600 * 1000,
        }
    }
}

impl CreditPolicy {
    /// The most a single beat can credit.
    pub fn beat_cap_ms(&self) -> i64 {
        self.interval_ms + self.grace_ms
    }
}

/// Why (part of) the time before a beat was not credited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rejection {
    /// The page was not on screen.
    NotVisible,
    /// No interaction since the previous beat.
    Inactive,
    /// The gap since the previous beat exceeded the idle limit.
    IdleGap,
    /// The gap exceeded interval + grace: only the cap was credited.
    OverBeatCap,
    /// The learner reached the daily cap.
    DailyCap,
}

impl Rejection {
    pub const ALL: [Rejection; 5] = [
        Rejection::NotVisible,
        Rejection::Inactive,
        Rejection::IdleGap,
        Rejection::OverBeatCap,
        Rejection::DailyCap,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::NotVisible => "not_visible",
            Rejection::Inactive => "inactive",
            Rejection::IdleGap => "idle_gap",
            Rejection::OverBeatCap => "over_beat_cap",
            Rejection::DailyCap => "daily_cap",
        }
    }
}

/// What one beat does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeatVerdict {
    /// Too soon after the previous accepted beat: refused, nothing changes.
    TooFast { retry_after_ms: i64 },
    /// Accepted: `credited_ms` is earned; `rejected_ms` of the elapsed time is not, for `reason`.
    Accepted { elapsed_ms: i64, credited_ms: i64, rejected_ms: i64, reason: Option<Rejection> },
}

/// Judges a beat at `now_ms` whose previous accepted beat (or session start) was at `last_ms`,
/// for a learner who already has `credited_today_ms` today.
pub fn judge_beat(
    policy: &CreditPolicy,
    last_ms: i64,
    now_ms: i64,
    visible: bool,
    active: bool,
    credited_today_ms: i64,
) -> BeatVerdict {
    let elapsed = (now_ms - last_ms).max(0);
    if elapsed < policy.min_gap_ms {
        return BeatVerdict::TooFast { retry_after_ms: policy.min_gap_ms - elapsed };
    }
    let (mut credited, mut reason) = if elapsed > policy.idle_limit_ms {
        (0, Some(Rejection::IdleGap))
    } else if !visible {
        (0, Some(Rejection::NotVisible))
    } else if !active {
        (0, Some(Rejection::Inactive))
    } else if elapsed > policy.beat_cap_ms() {
        (policy.beat_cap_ms(), Some(Rejection::OverBeatCap))
    } else {
        (elapsed, None)
    };
    let room = (policy.daily_cap_ms - credited_today_ms).max(0);
    if credited > room {
        credited = room;
        reason = Some(Rejection::DailyCap);
    }
    BeatVerdict::Accepted {
        elapsed_ms: elapsed,
        credited_ms: credited,
        rejected_ms: elapsed - credited,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const P: CreditPolicy = CreditPolicy {
        interval_ms: 30_000,
        grace_ms: 15_000,
        idle_limit_ms: 120_000,
        min_gap_ms: 5_000,
        daily_cap_ms: 8 * 3600 * 1000,
    };

    #[test]
    fn a_normal_beat_credits_the_elapsed_time() {
        assert_eq!(
            judge_beat(&P, 0, 30_000, true, true, 0),
            BeatVerdict::Accepted { elapsed_ms: 30_000, credited_ms: 30_000, rejected_ms: 0, reason: None }
        );
    }

    #[test]
    fn each_rule() {
        let v = |now, visible, active, today| judge_beat(&P, 0, now, visible, active, today);
        assert!(matches!(v(4_000, true, true, 0), BeatVerdict::TooFast { retry_after_ms: 1_000 }));
        assert!(matches!(
            v(60_000, true, true, 0),
            BeatVerdict::Accepted { credited_ms: 45_000, reason: Some(Rejection::OverBeatCap), .. }
        ));
        assert!(matches!(
            v(121_000, true, true, 0),
            BeatVerdict::Accepted { credited_ms: 0, reason: Some(Rejection::IdleGap), .. }
        ));
        assert!(matches!(
            v(30_000, false, true, 0),
            BeatVerdict::Accepted { credited_ms: 0, reason: Some(Rejection::NotVisible), .. }
        ));
        assert!(matches!(
            v(30_000, true, false, 0),
            BeatVerdict::Accepted { credited_ms: 0, reason: Some(Rejection::Inactive), .. }
        ));
        let near_cap = P.daily_cap_ms - 10_000;
        assert!(matches!(
            v(30_000, true, true, near_cap),
            BeatVerdict::Accepted {
                credited_ms: 10_000,
                rejected_ms: 20_000,
                reason: Some(Rejection::DailyCap),
                ..
            }
        ));
    }

    /// A beat in a generated sequence: how long after the previous one it is sent, and what the
    /// client says.
    fn beats() -> impl Strategy<Value = Vec<(i64, bool, bool)>> {
        prop::collection::vec((0i64..200_000, any::<bool>(), any::<bool>()), 0..200)
    }

    /// Replays beats the way a stream does: only accepted beats move the reference point.
    fn replay(
        policy: &CreditPolicy,
        start: i64,
        beats: &[(i64, bool, bool)],
        today: i64,
    ) -> (Vec<i64>, i64, usize) {
        let (mut last, mut now, mut total, mut accepted) = (start, start, 0i64, 0usize);
        let mut history = Vec::new();
        for &(gap, visible, active) in beats {
            now += gap;
            if let BeatVerdict::Accepted { credited_ms, elapsed_ms, rejected_ms, .. } =
                judge_beat(policy, last, now, visible, active, today + total)
            {
                assert_eq!(credited_ms + rejected_ms, elapsed_ms, "every elapsed millisecond is explained");
                assert!(credited_ms >= 0 && rejected_ms >= 0);
                total += credited_ms;
                last = now;
                accepted += 1;
            }
            history.push(total);
        }
        (history, now - start, accepted)
    }

    proptest! {
        #[test]
        fn credit_never_exceeds_wall_clock_nor_the_beat_cap_and_never_decreases(seq in beats(), today in 0i64..(8 * 3600 * 1000)) {
            let (history, wall, accepted) = replay(&P, 1_000_000, &seq, today);
            let total = history.last().copied().unwrap_or(0);
            prop_assert!(total <= wall, "credited {total} > wall clock {wall}");
            prop_assert!(total <= accepted as i64 * P.beat_cap_ms());
            prop_assert!(history.windows(2).all(|w| w[0] <= w[1]), "credit never decreases");
            prop_assert!(today + total <= P.daily_cap_ms, "the daily cap holds");
        }

        #[test]
        fn two_sessions_in_turn_never_credit_more_than_wall_clock(first in beats(), second in beats()) {
            // One stream per learner: the second session starts when the first is superseded,
            // at or after the first session's last beat.
            let (h1, wall1, _) = replay(&P, 0, &first, 0);
            let (h2, wall2, _) = replay(&P, wall1, &second, h1.last().copied().unwrap_or(0));
            let total = h1.last().copied().unwrap_or(0) + h2.last().copied().unwrap_or(0);
            prop_assert!(total <= wall1 + wall2);
        }
    }
}
