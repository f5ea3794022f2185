//! A learner's progress through one course: modules done, minutes credited and required,
//! post-test status and the completion, in one answer for a course page.

use chrono::{DateTime, Utc};
use penkom_core::UserId;
use penkom_storage::entities::{
    course_module, course_version, enrollment, module_completion, quiz_attempt, study_segment,
};
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::attempts::{GRACE, QuizError, Quizzes};
use crate::completion::{self, CourseCompletion};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleProgress {
    pub module_id: Uuid,
    pub title: String,
    pub required: bool,
    pub min_engaged_seconds: i64,
    /// Checkpointed credit (a running session's last minute may not be in it yet).
    pub credited_seconds: i64,
    pub completed_at: Option<DateTime<Utc>>,
}

impl ModuleProgress {
    /// Whether the checkpointed credit reaches the module's minimum.
    pub fn can_complete(&self) -> bool {
        self.credited_seconds >= self.min_engaged_seconds
    }

    pub fn remaining_seconds(&self) -> i64 {
        (self.min_engaged_seconds - self.credited_seconds).max(0)
    }
}

/// What a learner can do next about a course's post-test: one decision, so that every page
/// says the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextStep {
    /// Some required module is not complete yet.
    StudyModules,
    /// An attempt is open for answers.
    ContinueAttempt(Uuid),
    /// Every attempt is used without a pass.
    NoAttemptsLeft,
    /// The wait between attempts lasts until then.
    WaitUntil(DateTime<Utc>),
    /// An attempt may start now.
    StartAttempt,
    /// Passed: the course is complete.
    Passed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTestStatus {
    /// All required modules are complete, so an attempt may start (limits permitting).
    pub unlocked: bool,
    pub attempts_used: u32,
    pub attempts_left: u32,
    pub best_score: Option<u8>,
    pub passed: bool,
    pub pass_mark: u32,
    /// An attempt still open for answers.
    pub open_attempt_id: Option<Uuid>,
    /// When the next attempt may start, if a wait between attempts applies now.
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseProgress {
    pub course_id: Uuid,
    pub version_id: Uuid,
    /// The title and JP of the version studied (which a newer version may have changed).
    pub title: String,
    pub jp: penkom_core::Jp,
    pub modules: Vec<ModuleProgress>,
    pub required_modules: u32,
    pub required_modules_done: u32,
    /// Minutes credited towards required modules, each counted up to its minimum.
    pub credited_minutes: i64,
    pub required_minutes: i64,
    pub post_test: PostTestStatus,
    pub completion: Option<CourseCompletion>,
}

/// What [`assemble`] builds a course's progress from: the rows of one enrolled version.
struct VersionRows<'a> {
    version: &'a course_version::Model,
    modules: Vec<&'a course_module::Model>,
    done: Vec<&'a module_completion::Model>,
    credit: &'a [(Uuid, i64)],
    attempts: Vec<&'a quiz_attempt::Model>,
    completion: Option<CourseCompletion>,
}

/// The progress of one course from its rows, as of `now`.
fn assemble(course_id: Uuid, r: VersionRows<'_>, now: DateTime<Utc>) -> CourseProgress {
    let v = r.version;
    let modules: Vec<ModuleProgress> = r
        .modules
        .into_iter()
        .map(|m| ModuleProgress {
            credited_seconds: r.credit.iter().find(|(id, _)| *id == m.id).map_or(0, |(_, ms)| ms / 1000),
            completed_at: r.done.iter().find(|c| c.module_id == m.id).map(|c| c.completed_at),
            module_id: m.id,
            title: m.title.clone(),
            required: m.required,
            min_engaged_seconds: i64::from(m.min_engaged_seconds),
        })
        .collect();
    let required: Vec<&ModuleProgress> = modules.iter().filter(|m| m.required).collect();
    let attempts = r.attempts;
    let graded: Vec<_> = attempts.iter().filter(|a| a.submitted_at.is_some()).collect();
    let limit = u32::try_from(v.attempt_limit).unwrap_or(0);
    let passed = graded.iter().any(|a| a.passed == Some(true));
    // Attempts not yet started: an open attempt counts as used.
    let attempts_left = limit.saturating_sub(attempts.len() as u32);
    let next_attempt_at = graded
        .iter()
        .filter_map(|a| a.submitted_at)
        .max()
        .map(|t| t + chrono::Duration::minutes(i64::from(v.wait_minutes)))
        .filter(|t| *t > now && !passed && attempts_left > 0);
    let post_test = PostTestStatus {
        unlocked: required.iter().all(|m| m.completed_at.is_some()),
        attempts_used: graded.len() as u32,
        attempts_left,
        best_score: graded.iter().filter_map(|a| a.score).max().map(|s| u8::try_from(s).unwrap_or(0)),
        passed,
        pass_mark: u32::try_from(v.pass_mark).unwrap_or(100),
        open_attempt_id: attempts
            .iter()
            .find(|a| a.submitted_at.is_none() && now <= a.deadline + GRACE)
            .map(|a| a.id),
        next_attempt_at,
    };
    CourseProgress {
        course_id,
        version_id: v.id,
        title: v.title.clone(),
        // Written by this program from a validated spec.
        jp: penkom_core::Jp::parse(&v.jp).unwrap_or(penkom_core::Jp::ZERO),
        required_modules: required.len() as u32,
        required_modules_done: required.iter().filter(|m| m.completed_at.is_some()).count() as u32,
        credited_minutes: required.iter().map(|m| m.credited_seconds.min(m.min_engaged_seconds)).sum::<i64>()
            / 60,
        required_minutes: required.iter().map(|m| m.min_engaged_seconds).sum::<i64>() / 60,
        post_test,
        completion: r.completion,
        modules,
    }
}

impl CourseProgress {
    /// What the learner can do next (the wait is already judged against the clock of the read).
    pub fn next_step(&self) -> NextStep {
        let t = &self.post_test;
        if self.completion.is_some() || t.passed {
            NextStep::Passed
        } else if !t.unlocked {
            NextStep::StudyModules
        } else if let Some(open) = t.open_attempt_id {
            NextStep::ContinueAttempt(open)
        } else if t.attempts_left == 0 {
            NextStep::NoAttemptsLeft
        } else if let Some(at) = t.next_attempt_at {
            NextStep::WaitUntil(at)
        } else {
            NextStep::StartAttempt
        }
    }
}

impl Quizzes {
    /// Where `person` stands in `course_id`.
    pub async fn course_progress(
        &self,
        person: UserId,
        course_id: Uuid,
    ) -> Result<CourseProgress, QuizError> {
        let enrolled = self.enrollment(person, course_id).await?;
        let v = course_version::Entity::find_by_id(enrolled.version_id)
            .one(&self.db)
            .await?
            .ok_or(QuizError::NotEnrolled)?;
        let modules = course_module::Entity::find()
            .filter(course_module::Column::VersionId.eq(v.id))
            .order_by_asc(course_module::Column::Position)
            .all(&self.db)
            .await?;
        let done = module_completion::Entity::find()
            .filter(module_completion::Column::PersonId.eq(person.0))
            .filter(module_completion::Column::VersionId.eq(v.id))
            .all(&self.db)
            .await?;
        self.close_expired(person, &v).await?;
        let credit = credit_by_module(self, person, modules.iter().map(|m| m.id).collect()).await?;
        let attempts = self.attempts_of(&self.db, person, v.id).await?;
        let rows = VersionRows {
            version: &v,
            modules: modules.iter().collect(),
            done: done.iter().collect(),
            credit: &credit,
            attempts: attempts.iter().collect(),
            completion: completion::find(&self.db, person, course_id).await?,
        };
        Ok(assemble(course_id, rows, self.clock.now()))
    }

    /// The progress of every course `person` is enrolled in and has not completed, newest
    /// enrolment first. The same answer as [`Quizzes::course_progress`] for each, in seven
    /// queries however many courses there are: the dashboard asks this on every visit, and a
    /// learner's enrolments pile up over the years.
    pub async fn courses_under_way(&self, person: UserId) -> Result<Vec<CourseProgress>, QuizError> {
        // The queries that do not depend on each other run at once: on PostgreSQL each is a
        // round trip, and the dashboard's latency is the sum of the ones in sequence.
        let enrolled = enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.eq(person.0))
            .order_by_desc(enrollment::Column::EnrolledAt)
            .all(&self.db);
        let (completed, enrolled) = tokio::try_join!(completion::list(&self.db, person), enrolled)?;
        let running: Vec<enrollment::Model> =
            enrolled.into_iter().filter(|e| !completed.iter().any(|c| c.course_id == e.course_id)).collect();
        if running.is_empty() {
            return Ok(Vec::new());
        }
        let version_ids: Vec<Uuid> = running.iter().map(|e| e.version_id).collect();
        let versions = course_version::Entity::find()
            .filter(course_version::Column::Id.is_in(version_ids.clone()))
            .all(&self.db);
        let modules = course_module::Entity::find()
            .filter(course_module::Column::VersionId.is_in(version_ids.clone()))
            .order_by_asc(course_module::Column::Position)
            .all(&self.db);
        let done = module_completion::Entity::find()
            .filter(module_completion::Column::PersonId.eq(person.0))
            .filter(module_completion::Column::VersionId.is_in(version_ids.clone()))
            .all(&self.db);
        let attempts = quiz_attempt::Entity::find()
            .filter(quiz_attempt::Column::PersonId.eq(person.0))
            .filter(quiz_attempt::Column::VersionId.is_in(version_ids))
            .order_by_asc(quiz_attempt::Column::Number)
            .all(&self.db);
        let (versions, modules, done, attempts) = tokio::try_join!(versions, modules, done, attempts)?;
        let credit = credit_by_module(self, person, modules.iter().map(|m| m.id).collect()).await?;
        let now = self.clock.now();
        let mut out = Vec::with_capacity(running.len());
        for e in &running {
            let Some(v) = versions.iter().find(|v| v.id == e.version_id) else { continue };
            let of_version: Vec<&quiz_attempt::Model> =
                attempts.iter().filter(|a| a.version_id == v.id).collect();
            // An attempt left open past its deadline is graded when read, which may complete
            // the course: that rare case takes the one-course path, which does the grading.
            if of_version.iter().any(|a| a.submitted_at.is_none() && now > a.deadline + GRACE) {
                let p = self.course_progress(person, e.course_id).await?;
                if p.completion.is_none() {
                    out.push(p);
                }
                continue;
            }
            let rows = VersionRows {
                version: v,
                modules: modules.iter().filter(|m| m.version_id == v.id).collect(),
                done: done.iter().filter(|d| d.version_id == v.id).collect(),
                credit: &credit,
                attempts: of_version,
                completion: None,
            };
            out.push(assemble(e.course_id, rows, now));
        }
        Ok(out)
    }

    /// Every course completion of `person`, newest first.
    pub async fn completions(&self, person: UserId) -> Result<Vec<CourseCompletion>, DbErr> {
        completion::list(&self.db, person).await
    }
}

/// Checkpointed credit (ms) of `person` per module among `modules`.
async fn credit_by_module(
    q: &Quizzes,
    person: UserId,
    modules: Vec<Uuid>,
) -> Result<Vec<(Uuid, i64)>, DbErr> {
    let rows: Vec<(Uuid, i64)> = study_segment::Entity::find()
        .select_only()
        .column(study_segment::Column::ModuleId)
        .column(study_segment::Column::CreditedMs)
        .filter(study_segment::Column::PersonId.eq(person.0))
        .filter(study_segment::Column::ModuleId.is_in(modules))
        .into_tuple()
        .all(&q.db)
        .await?;
    let mut sums: Vec<(Uuid, i64)> = Vec::new();
    for (m, ms) in rows {
        match sums.iter_mut().find(|(id, _)| *id == m) {
            Some((_, total)) => *total += ms,
            None => sums.push((m, ms)),
        }
    }
    Ok(sums)
}
