//! A learner's progress through one course: modules done, minutes credited and required,
//! post-test status and the completion, in one answer for a course page.

use chrono::{DateTime, Utc};
use penkom_core::UserId;
use penkom_storage::entities::{course_module, course_version, module_completion, study_segment};
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
    pub modules: Vec<ModuleProgress>,
    pub required_modules: u32,
    pub required_modules_done: u32,
    /// Minutes credited towards required modules, each counted up to its minimum.
    pub credited_minutes: i64,
    pub required_minutes: i64,
    pub post_test: PostTestStatus,
    pub completion: Option<CourseCompletion>,
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
        let modules: Vec<ModuleProgress> = modules
            .into_iter()
            .map(|m| ModuleProgress {
                credited_seconds: credit.iter().find(|(id, _)| *id == m.id).map_or(0, |(_, ms)| ms / 1000),
                completed_at: done.iter().find(|c| c.module_id == m.id).map(|c| c.completed_at),
                module_id: m.id,
                title: m.title,
                required: m.required,
                min_engaged_seconds: i64::from(m.min_engaged_seconds),
            })
            .collect();
        let required: Vec<&ModuleProgress> = modules.iter().filter(|m| m.required).collect();
        let attempts = self.attempts_of(&self.db, person, v.id).await?;
        let graded: Vec<_> = attempts.iter().filter(|a| a.submitted_at.is_some()).collect();
        let now = self.clock.now();
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
        Ok(CourseProgress {
            course_id,
            version_id: v.id,
            required_modules: required.len() as u32,
            required_modules_done: required.iter().filter(|m| m.completed_at.is_some()).count() as u32,
            credited_minutes: required
                .iter()
                .map(|m| m.credited_seconds.min(m.min_engaged_seconds))
                .sum::<i64>()
                / 60,
            required_minutes: required.iter().map(|m| m.min_engaged_seconds).sum::<i64>() / 60,
            post_test,
            completion: completion::find(&self.db, person, course_id).await?,
            modules,
        })
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
