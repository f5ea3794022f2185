//! Course completions and per-course progress, for the learner.

use axum::extract::State;
use chrono::{DateTime, Utc};
use progress_tracking::{CourseCompletion, CourseProgress};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct CourseCompletionView {
    pub id: uuid::Uuid,
    pub course_id: uuid::Uuid,
    pub version_id: uuid::Uuid,
    pub completed_at: DateTime<Utc>,
    /// The evidence summary exactly as digested: RFC 8785 canonical JSON, parsed.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// Hex SHA-256 of the canonical JSON of `evidence`.
    pub evidence_digest: String,
    /// Completed on a server running the simulated clock: test data, never real credit.
    pub test_data: bool,
}

impl From<CourseCompletion> for CourseCompletionView {
    fn from(c: CourseCompletion) -> Self {
        Self {
            id: c.id,
            course_id: c.course_id,
            version_id: c.version_id,
            completed_at: c.completed_at,
            evidence: serde_json::from_str(&c.evidence_json).unwrap_or_default(),
            evidence_digest: c.evidence_digest,
            test_data: c.test_data,
        }
    }
}

/// The caller's course completions, newest first.
#[utoipa::path(get, operation_id = "my_completions", path = "/api/v1/me/completions", tag = "post-test", security(("bearer" = [])),
    responses((status = 200, body = [CourseCompletionView])))]
pub async fn mine(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Vec<CourseCompletionView>>, ApiError> {
    Ok(Json(state.quizzes.completions(caller.id).await?.into_iter().map(Into::into).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct ModuleProgressView {
    pub module_id: uuid::Uuid,
    pub title: String,
    pub required: bool,
    pub min_engaged_seconds: i64,
    pub credited_seconds: i64,
    pub completed_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct PostTestStatusView {
    /// Every required module is complete.
    pub unlocked: bool,
    pub attempts_used: u32,
    /// Attempts not yet started (an open attempt counts as used).
    pub attempts_left: u32,
    pub best_score: Option<u8>,
    pub passed: bool,
    pub pass_mark: u32,
    pub open_attempt_id: Option<uuid::Uuid>,
    pub next_attempt_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct CourseProgressView {
    pub course_id: uuid::Uuid,
    pub version_id: uuid::Uuid,
    pub modules: Vec<ModuleProgressView>,
    pub required_modules: u32,
    pub required_modules_done: u32,
    /// Credited minutes towards required modules (each counted up to its minimum).
    pub credited_minutes: i64,
    pub required_minutes: i64,
    pub post_test: PostTestStatusView,
    pub completion: Option<CourseCompletionView>,
}

impl From<CourseProgress> for CourseProgressView {
    fn from(p: CourseProgress) -> Self {
        let t = p.post_test;
        Self {
            course_id: p.course_id,
            version_id: p.version_id,
            modules: p
                .modules
                .into_iter()
                .map(|m| ModuleProgressView {
                    module_id: m.module_id,
                    title: m.title,
                    required: m.required,
                    min_engaged_seconds: m.min_engaged_seconds,
                    credited_seconds: m.credited_seconds,
                    completed_at: m.completed_at,
                })
                .collect(),
            required_modules: p.required_modules,
            required_modules_done: p.required_modules_done,
            credited_minutes: p.credited_minutes,
            required_minutes: p.required_minutes,
            post_test: PostTestStatusView {
                unlocked: t.unlocked,
                attempts_used: t.attempts_used,
                attempts_left: t.attempts_left,
                best_score: t.best_score,
                passed: t.passed,
                pass_mark: t.pass_mark,
                open_attempt_id: t.open_attempt_id,
                next_attempt_at: t.next_attempt_at,
            },
            completion: p.completion.map(Into::into),
        }
    }
}

/// The caller's progress in one course: modules, minutes, post-test status, completion.
#[utoipa::path(get, path = "/api/v1/me/courses/{id}/progress", tag = "post-test", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Course id")),
    responses((status = 200, body = CourseProgressView), (status = 403, description = "`not_enrolled`", body = ErrorBody),
        (status = 404, description = "`course_not_found`", body = ErrorBody)))]
pub async fn course_progress(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<CourseProgressView>, ApiError> {
    Ok(Json(state.quizzes.course_progress(caller.id, id).await?.into()))
}
