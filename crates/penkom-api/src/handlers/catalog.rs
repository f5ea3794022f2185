//! The learner API: catalog, course detail, enrolment, module content.
//!
//! No response here carries an answer key or an explanation: questions are not part of any
//! of these views (a test collects every learner-visible response and checks this).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use course_delivery::{CatalogFilter, CourseDetail, CourseSummary, EnrollmentView, ModuleContent};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct CourseSummaryView {
    pub id: uuid::Uuid,
    pub code: String,
    pub title: String,
    pub topic: String,
    pub organiser: String,
    /// Exact decimal as a string, e.g. `"1.5"`.
    pub jp: String,
    /// Required study minutes plus the post-test time limit.
    pub estimated_minutes: u32,
    pub version: i32,
}

impl From<CourseSummary> for CourseSummaryView {
    fn from(s: CourseSummary) -> Self {
        Self {
            id: s.id,
            code: s.code,
            title: s.title,
            topic: s.topic,
            organiser: s.organiser,
            jp: s.jp.to_string(),
            estimated_minutes: s.estimated_minutes,
            version: s.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ModuleSummaryView {
    pub id: uuid::Uuid,
    pub title: String,
    pub order: i32,
    pub min_engaged_seconds: i32,
    pub required: bool,
    pub video_seconds: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct PostTestSummaryView {
    pub pass_mark: i32,
    pub attempt_limit: i32,
    pub time_limit_minutes: i32,
    pub questions_per_attempt: i32,
    pub wait_minutes_between_attempts: i32,
}

#[derive(Serialize, ToSchema)]
pub struct EnrollmentViewDto {
    pub id: uuid::Uuid,
    pub course_id: uuid::Uuid,
    pub code: String,
    pub title: String,
    /// The version enrolled on; it never changes.
    pub version: i32,
    pub jp: String,
    pub enrolled_at: DateTime<Utc>,
}

impl From<EnrollmentView> for EnrollmentViewDto {
    fn from(e: EnrollmentView) -> Self {
        Self {
            id: e.id,
            course_id: e.course_id,
            code: e.code,
            title: e.title,
            version: e.version,
            jp: e.jp.to_string(),
            enrolled_at: e.enrolled_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CourseDetailView {
    pub id: uuid::Uuid,
    pub code: String,
    pub title: String,
    pub topic: String,
    pub organiser: String,
    pub jp: String,
    pub estimated_minutes: u32,
    /// The version shown: the caller's enrolled version, else the newest published one.
    pub version: i32,
    pub content_hash: String,
    pub description: String,
    pub modules: Vec<ModuleSummaryView>,
    pub post_test: PostTestSummaryView,
    pub enrollment: Option<EnrollmentViewDto>,
    pub newer_version_available: bool,
    pub retired: bool,
}

impl From<CourseDetail> for CourseDetailView {
    fn from(d: CourseDetail) -> Self {
        let s = d.summary;
        Self {
            id: s.id,
            code: s.code,
            title: s.title,
            topic: s.topic,
            organiser: s.organiser,
            jp: s.jp.to_string(),
            estimated_minutes: s.estimated_minutes,
            version: s.version,
            content_hash: d.content_hash,
            description: d.description,
            modules: d
                .modules
                .into_iter()
                .map(|m| ModuleSummaryView {
                    id: m.id,
                    title: m.title,
                    order: m.order,
                    min_engaged_seconds: m.min_engaged_seconds,
                    required: m.required,
                    video_seconds: m.video_seconds,
                })
                .collect(),
            post_test: PostTestSummaryView {
                pass_mark: d.post_test.pass_mark,
                attempt_limit: d.post_test.attempt_limit,
                time_limit_minutes: d.post_test.time_limit_minutes,
                questions_per_attempt: d.post_test.questions_per_attempt,
                wait_minutes_between_attempts: d.post_test.wait_minutes_between_attempts,
            },
            enrollment: d.enrollment.map(Into::into),
            newer_version_available: d.newer_version_available,
            retired: d.retired,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    /// Exact topic slug, e.g. `kepemimpinan`.
    #[param(schema_with = crate::schema_rules::line::<{ course_delivery::catalog::MAX_FILTER_CHARS }>)]
    pub topic: Option<String>,
    /// Part of the title (case-insensitive).
    #[param(schema_with = crate::schema_rules::line::<{ course_delivery::catalog::MAX_FILTER_CHARS }>)]
    pub q: Option<String>,
}

/// Published courses, newest version of each.
#[utoipa::path(get, operation_id = "list_courses", path = "/api/v1/courses", tag = "courses", security(("bearer" = [])), params(CatalogQuery),
    responses((status = 200, body = Vec<CourseSummaryView>)))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<CatalogQuery>,
) -> Result<Json<Vec<CourseSummaryView>>, ApiError> {
    let filter = CatalogFilter::parse(q.topic, q.q)?;
    let list = state.courses.list_courses(&filter).await?;
    Ok(Json(list.into_iter().map(Into::into).collect()))
}

/// A course in detail; an enrolled learner sees the version they enrolled on.
#[utoipa::path(get, operation_id = "course_detail", path = "/api/v1/courses/{id}", tag = "courses", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Course id")),
    responses((status = 200, body = CourseDetailView), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<CourseDetailView>, ApiError> {
    Ok(Json(state.courses.course_detail(caller.id, id).await?.into()))
}

/// Enrols the caller on the newest published version (idempotent: 201 the first time, then 200
/// with the same enrolment).
#[utoipa::path(post, path = "/api/v1/courses/{id}/enrollments", tag = "courses", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Course id")),
    responses((status = 201, body = EnrollmentViewDto), (status = 200, body = EnrollmentViewDto),
        (status = 404, body = ErrorBody), (status = 409, description = "`course_retired`", body = ErrorBody)))]
pub async fn enroll(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<(StatusCode, Json<EnrollmentViewDto>), ApiError> {
    let (view, created) = state.courses.enroll(caller.id, id).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(view.into())))
}

/// The caller's enrolments.
#[utoipa::path(get, path = "/api/v1/me/enrollments", tag = "courses", security(("bearer" = [])),
    responses((status = 200, body = Vec<EnrollmentViewDto>)))]
pub async fn my_enrollments(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Vec<EnrollmentViewDto>>, ApiError> {
    Ok(Json(state.courses.enrollments(caller.id).await?.into_iter().map(Into::into).collect()))
}

#[derive(Serialize, ToSchema)]
pub struct VideoView {
    pub url: String,
    pub duration_seconds: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct ModuleContentView {
    pub id: uuid::Uuid,
    pub course_id: uuid::Uuid,
    pub version: i32,
    pub title: String,
    pub order: i32,
    pub min_engaged_seconds: i32,
    pub required: bool,
    pub markdown: String,
    /// Rendered and sanitised: safe to insert into a page.
    pub html: String,
    pub video: Option<VideoView>,
}

impl From<ModuleContent> for ModuleContentView {
    fn from(m: ModuleContent) -> Self {
        Self {
            id: m.id,
            course_id: m.course_id,
            version: m.version,
            title: m.title,
            order: m.order,
            min_engaged_seconds: m.min_engaged_seconds,
            required: m.required,
            markdown: m.markdown,
            html: m.html,
            video: m.video_url.map(|url| VideoView { url, duration_seconds: m.video_seconds }),
        }
    }
}

/// A module's content, for learners enrolled on its version.
#[utoipa::path(get, path = "/api/v1/modules/{id}", tag = "courses", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Module id")),
    responses((status = 200, body = ModuleContentView), (status = 403, description = "`not_enrolled`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn module(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<ModuleContentView>, ApiError> {
    Ok(Json(state.courses.module_content(caller.id, id).await?.into()))
}
