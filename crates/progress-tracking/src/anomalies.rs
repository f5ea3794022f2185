//! Patterns a verifier should look at. They are flagged, never blocked: a fast reader or a
//! diligent learner is not a cheat, but a verifier crediting JP should see the evidence.
//!
//! - `fast_post_test`: a post-test passed in far less time than its questions take to read.
//! - `daily_cap_streak`: credited study time at (or within 5 % of) the daily cap on many
//!   consecutive days, the signature of a tab left beating all day.
//!
//! The detection rules are pure functions; [`Progress::anomalies`] feeds them from the database.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use penkom_storage::entities::{person, question, quiz_attempt, study_segment};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::quiz::Shown;
use crate::service::Progress;

/// Reading speed assumed for question texts (words per minute): a brisk reader of Indonesian
/// prose; slower readers only make a flag less likely.
pub const READING_WPM: u64 = 200;
/// An attempt is flagged when it took less than this share of the reading time.
pub const FAST_SHARE_PERCENT: u64 = 50;
/// A day counts towards a streak when its credit reaches this share of the daily cap.
pub const CAP_SHARE_PERCENT: i64 = 95;
/// Consecutive days at the cap that make a streak worth flagging.
pub const STREAK_DAYS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnomalyKind {
    FastPostTest {
        attempt_id: Uuid,
        course_id: Uuid,
        score: i32,
        questions: usize,
        seconds_taken: i64,
        reading_seconds: i64,
    },
    DailyCapStreak {
        first_day: NaiveDate,
        last_day: NaiveDate,
        /// Credited minutes on each day of the streak.
        minutes_per_day: Vec<(NaiveDate, i64)>,
        daily_cap_minutes: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anomaly {
    pub person_id: Uuid,
    pub nip: Option<String>,
    pub name: String,
    pub kind: AnomalyKind,
}

/// Seconds a reader needs for `words` words.
pub fn reading_seconds(words: u64) -> i64 {
    i64::try_from(words * 60 / READING_WPM).unwrap_or(i64::MAX)
}

/// Whether an attempt that took `taken` seconds is too fast for `reading` seconds of text.
pub fn too_fast(taken: i64, reading: i64) -> bool {
    taken.max(0) * 100 < reading * FAST_SHARE_PERCENT as i64
}

/// Runs of at least [`STREAK_DAYS`] consecutive days whose credit is at the cap, from credited
/// milliseconds per day (any order).
pub fn cap_streaks(days: &BTreeMap<NaiveDate, i64>, cap_ms: i64) -> Vec<Vec<(NaiveDate, i64)>> {
    let at_cap = |ms: i64| cap_ms > 0 && ms * 100 >= cap_ms * CAP_SHARE_PERCENT;
    let mut runs = Vec::new();
    let mut run: Vec<(NaiveDate, i64)> = Vec::new();
    for (day, ms) in days {
        let follows = run.last().is_some_and(|(d, _)| d.succ_opt() == Some(*day));
        if !at_cap(*ms) || (!run.is_empty() && !follows) {
            if run.len() >= STREAK_DAYS {
                runs.push(std::mem::take(&mut run));
            }
            run.clear();
        }
        if at_cap(*ms) {
            run.push((*day, ms / 60_000));
        }
    }
    if run.len() >= STREAK_DAYS {
        runs.push(run);
    }
    runs
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

impl Progress {
    /// Every anomaly since `since`, people named.
    pub async fn anomalies(&self, since: DateTime<Utc>) -> Result<Vec<Anomaly>, DbErr> {
        let mut found: Vec<(Uuid, AnomalyKind)> = Vec::new();
        let passed = quiz_attempt::Entity::find()
            .filter(quiz_attempt::Column::Passed.eq(true))
            .filter(quiz_attempt::Column::SubmittedAt.gte(since))
            .all(&self.db)
            .await?;
        // Reading time per question, loaded once per version rather than once per question.
        let mut words_of: HashMap<Uuid, u64> = HashMap::new();
        let mut versions_loaded: Vec<Uuid> = Vec::new();
        for a in passed {
            if !versions_loaded.contains(&a.version_id) {
                for q in question::Entity::find()
                    .filter(question::Column::VersionId.eq(a.version_id))
                    .all(&self.db)
                    .await?
                {
                    let options = crate::attempts::options_of(&q);
                    words_of
                        .insert(q.id, words(&q.text) + options.iter().map(|o| words(&o.text)).sum::<u64>());
                }
                versions_loaded.push(a.version_id);
            }
            let layout: Vec<Shown> = serde_json::from_str(&a.layout).unwrap_or_default();
            let total: u64 = layout.iter().map(|s| words_of.get(&s.question_id).copied().unwrap_or(0)).sum();
            let reading = reading_seconds(total);
            let taken = a.submitted_at.map_or(0, |s| (s - a.started_at).num_seconds());
            if too_fast(taken, reading) {
                found.push((
                    a.person_id,
                    AnomalyKind::FastPostTest {
                        attempt_id: a.id,
                        course_id: a.course_id,
                        score: a.score.unwrap_or(0),
                        questions: layout.len(),
                        seconds_taken: taken,
                        reading_seconds: reading,
                    },
                ));
            }
        }
        let since_day = self.day_of(since);
        // Summed here rather than in SQL: SUM of a BIGINT is NUMERIC on PostgreSQL and INTEGER
        // on SQLite, and three small columns per segment are cheap to fold.
        let per_day: Vec<(Uuid, String, i64)> = study_segment::Entity::find()
            .select_only()
            .column(study_segment::Column::PersonId)
            .column(study_segment::Column::Day)
            .column(study_segment::Column::CreditedMs)
            .filter(study_segment::Column::Day.gte(since_day))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut by_person: HashMap<Uuid, BTreeMap<NaiveDate, i64>> = HashMap::new();
        for (p, day, ms) in per_day {
            if let Ok(d) = NaiveDate::parse_from_str(&day, "%Y-%m-%d") {
                *by_person.entry(p).or_default().entry(d).or_default() += ms;
            }
        }
        let cap_ms = self.policy.daily_cap_ms;
        for (p, days) in by_person {
            for run in cap_streaks(&days, cap_ms) {
                found.push((
                    p,
                    AnomalyKind::DailyCapStreak {
                        first_day: run[0].0,
                        last_day: run[run.len() - 1].0,
                        minutes_per_day: run,
                        daily_cap_minutes: cap_ms / 60_000,
                    },
                ));
            }
        }
        let ids: Vec<Uuid> = found.iter().map(|(p, _)| *p).collect();
        let people: HashMap<Uuid, person::Model> = person::Entity::find()
            .filter(person::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut out: Vec<Anomaly> = found
            .into_iter()
            .map(|(p, kind)| Anomaly {
                person_id: p,
                nip: people.get(&p).and_then(|x| x.nip.clone()),
                name: people.get(&p).map(|x| x.name.clone()).unwrap_or_default(),
                kind,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.person_id.cmp(&b.person_id)));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn reading_time_and_the_fast_rule() {
        assert_eq!(reading_seconds(200), 60);
        assert!(too_fast(29, 60));
        assert!(!too_fast(30, 60));
        assert!(!too_fast(0, 0), "nothing to read, nothing to flag");
    }

    #[test]
    fn finds_only_long_enough_runs_of_consecutive_capped_days() {
        let cap = 480 * 60_000;
        let mut days = BTreeMap::new();
        for day in 1..=6 {
            days.insert(d(&format!("2026-11-{day:02}")), cap);
        }
        days.insert(d("2026-11-07"), cap / 2); // breaks the run
        for day in 8..=11 {
            days.insert(d(&format!("2026-11-{day:02}")), cap); // only four
        }
        days.insert(d("2026-11-20"), cap);
        let runs = cap_streaks(&days, cap);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].len(), 6);
        assert_eq!(runs[0][0], (d("2026-11-01"), 480));
        // A gap of one calendar day also breaks a run.
        let mut gappy = BTreeMap::new();
        for day in [1, 2, 3, 5, 6, 7] {
            gappy.insert(d(&format!("2026-11-{day:02}")), cap);
        }
        assert!(cap_streaks(&gappy, cap).is_empty());
    }

    proptest! {
        #[test]
        fn every_flagged_day_is_at_the_cap_and_runs_are_consecutive(
            credits in proptest::collection::vec(0i64..=500, 1..60),
        ) {
            let cap = 480 * 60_000;
            let start = d("2026-01-01");
            let days: BTreeMap<NaiveDate, i64> = credits
                .iter()
                .enumerate()
                .map(|(i, m)| (start + chrono::Days::new(i as u64), m * 60_000))
                .collect();
            for run in cap_streaks(&days, cap) {
                prop_assert!(run.len() >= STREAK_DAYS);
                for w in run.windows(2) {
                    prop_assert_eq!(w[0].0.succ_opt(), Some(w[1].0));
                }
                for (day, _) in &run {
                    prop_assert!(days[day] * 100 >= cap * CAP_SHARE_PERCENT);
                }
            }
        }
    }
}
