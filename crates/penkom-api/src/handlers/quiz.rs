//! Post-test attempts: start, save answers, submit, read back.
//!
//! Nothing here sends an answer key or an explanation before an attempt is graded: the views
//! are built from `progress_tracking::AttemptView`, which carries keys only in its review, and
//! the review exists only for graded attempts of courses that allow it.

use axum::extract::State;
use axum::http::StatusCode;
use certificates::Graduated;
use chrono::{DateTime, Utc};
use progress_tracking::{AttemptResult, AttemptView};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::handlers::completions::CourseCompletionView;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct OptionItem {
    /// Per-attempt label (`A`, `B`, …), the value to send back as an answer.
    pub label: String,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionItem {
    pub id: uuid::Uuid,
    /// `single_choice`, `multiple_choice` or `true_false`.
    pub kind: String,
    pub text: String,
    pub options: Vec<OptionItem>,
}

#[derive(Serialize, ToSchema)]
pub struct ResultView {
    /// 0–100, rounded down.
    pub score: u8,
    pub passed: bool,
    pub pass_mark: u32,
    pub attempts_left: u32,
    pub submitted_at: DateTime<Utc>,
}

impl From<AttemptResult> for ResultView {
    fn from(r: AttemptResult) -> Self {
        Self {
            score: r.score,
            passed: r.passed,
            pass_mark: r.pass_mark,
            attempts_left: r.attempts_left,
            submitted_at: r.submitted_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReviewView {
    pub question_id: uuid::Uuid,
    pub chosen: Vec<String>,
    /// Labels of the right options; empty until the learner has passed or has no attempt left.
    pub correct: Vec<String>,
    /// Credit for the question, 0–1 (partial credit can give fractions).
    pub credit: f64,
    pub explanation: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AttemptDetail {
    pub attempt_id: uuid::Uuid,
    pub course_id: uuid::Uuid,
    pub number: u32,
    pub started_at: DateTime<Utc>,
    /// Answers are saved until the deadline (plus a one-minute grace); after that the attempt is
    /// graded as saved at the next read, start or submit.
    pub deadline: DateTime<Utc>,
    pub questions: Vec<QuestionItem>,
    /// Saved answers: question id → labels.
    pub answers: BTreeMap<uuid::Uuid, Vec<String>>,
    /// Present once graded.
    pub result: Option<ResultView>,
    /// Present once graded, if the course allows review.
    pub review: Option<Vec<ReviewView>>,
}

impl From<AttemptView> for AttemptDetail {
    fn from(a: AttemptView) -> Self {
        Self {
            attempt_id: a.id,
            course_id: a.course_id,
            number: a.number,
            started_at: a.started_at,
            deadline: a.deadline,
            questions: a
                .questions
                .into_iter()
                .map(|q| QuestionItem {
                    id: q.id,
                    kind: q.kind.as_str().to_string(),
                    text: q.text,
                    options: q
                        .options
                        .into_iter()
                        .map(|o| OptionItem { label: o.label, text: o.text })
                        .collect(),
                })
                .collect(),
            answers: a.answers,
            result: a.result.map(Into::into),
            review: a.review.map(|items| {
                items
                    .into_iter()
                    .map(|r| ReviewView {
                        question_id: r.question_id,
                        chosen: r.chosen,
                        correct: r.correct,
                        credit: r.credit_millionths as f64 / 1_000_000.0,
                        explanation: r.explanation,
                    })
                    .collect()
            }),
        }
    }
}

/// Starts a post-test attempt (201), or answers the attempt still open (200). Only once every
/// required module is complete.
#[utoipa::path(post, operation_id = "start_attempt", path = "/api/v1/courses/{id}/attempts", tag = "post-test", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Course id")),
    responses((status = 201, body = AttemptDetail), (status = 200, description = "The open attempt", body = AttemptDetail),
        (status = 403, description = "`not_enrolled`", body = ErrorBody),
        (status = 404, description = "`course_not_found`", body = ErrorBody),
        (status = 409, description = "`modules_incomplete`, `course_already_completed`, `attempt_limit_reached`, `attempt_wait` (Retry-After), `no_questions`", body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<(StatusCode, Json<AttemptDetail>), ApiError> {
    let (attempt, created) = state.quizzes.start(caller.id, id).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(attempt.into())))
}

/// One of the caller's attempts. An attempt left open past its deadline and grace is graded as
/// saved when read. Once graded (and if the course allows review) it carries a review: chosen
/// labels and credit per question, and, once the learner has passed or has no attempt left,
/// the right labels and explanations.
#[utoipa::path(get, operation_id = "attempt_detail", path = "/api/v1/attempts/{id}", tag = "post-test", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = AttemptDetail), (status = 404, description = "`attempt_not_found`", body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<AttemptDetail>, ApiError> {
    Ok(Json(state.quizzes.attempt(caller.id, id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SaveAnswers {
    /// Question id → chosen labels. Each question named replaces its saved answer; an empty list
    /// clears it; questions not named keep theirs.
    pub answers: BTreeMap<uuid::Uuid, Vec<String>>,
}

/// Saves answers (a dropped connection loses nothing already saved).
#[utoipa::path(put, path = "/api/v1/attempts/{id}/answers", tag = "post-test", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Attempt id")), request_body = SaveAnswers,
    responses((status = 200, body = AttemptDetail),
        (status = 404, description = "`attempt_not_found`", body = ErrorBody),
        (status = 409, description = "`attempt_submitted` or `attempt_closed`", body = ErrorBody),
        (status = 422, description = "`invalid_answer`", body = ErrorBody)))]
pub async fn save(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
    Json(body): Json<SaveAnswers>,
) -> Result<Json<AttemptDetail>, ApiError> {
    Ok(Json(state.quizzes.save(caller.id, id, body.answers).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionView {
    pub attempt_id: uuid::Uuid,
    pub score: u8,
    pub passed: bool,
    pub pass_mark: u32,
    pub attempts_left: u32,
    pub submitted_at: DateTime<Utc>,
    /// The course completion this pass produced.
    pub completion: Option<CourseCompletionView>,
    /// The certificate of that completion. Absent if issuing it failed for now: it is then
    /// issued in the background and appears in `/me/certificates`.
    pub certificate: Option<IssuedCertificate>,
}

#[derive(Serialize, ToSchema)]
pub struct IssuedCertificate {
    pub id: uuid::Uuid,
    pub number: String,
    pub code: String,
    pub verify_url: String,
}

/// Submits an attempt for grading on the server. Submitting again answers the same result.
#[utoipa::path(post, path = "/api/v1/attempts/{id}/submit", tag = "post-test", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Attempt id")),
    responses((status = 200, body = SubmissionView), (status = 404, description = "`attempt_not_found`", body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<SubmissionView>, ApiError> {
    let Graduated { result, completion, certificate } = state.graduation.submit(caller.id, id).await?;
    Ok(Json(SubmissionView {
        attempt_id: id,
        score: result.score,
        passed: result.passed,
        pass_mark: result.pass_mark,
        attempts_left: result.attempts_left,
        submitted_at: result.submitted_at,
        completion: completion.map(Into::into),
        certificate: certificate.map(|c| IssuedCertificate {
            id: c.row.id,
            number: c.row.number.clone(),
            verify_url: state.certificates.issuer().verify_url(&c.row.code),
            code: c.row.code,
        }),
    }))
}
