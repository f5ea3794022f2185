//! The instructor API: create a course, edit its draft, preview, publish, retire.
//! Instructors work on their own courses; administrators on all.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use course_delivery::model::{AuthoredAnswers, Video, is_valid_key};
use course_delivery::rules::limits;
use course_delivery::{
    Author, AuthoredCourse, CourseCode, CourseMeta, DraftEdit, ModuleSpec, PostTest, Preview, QuestionSpec,
    Scoring, VersionSpec,
};
use penkom_core::{Jp, Role};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

fn author(caller: &accounts::Caller) -> Author {
    Author { id: caller.id, is_admin: caller.has(Role::Admin) }
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostTestInput {
    /// 0–100.
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_PASS_MARK }>)]
    pub pass_mark: u32,
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_ATTEMPTS }>)]
    pub attempt_limit: u32,
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_TIME_LIMIT_MINUTES }>)]
    pub time_limit_minutes: u32,
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_QUESTIONS as u32 }>)]
    pub questions_per_attempt: u32,
    #[serde(default)]
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_WAIT_MINUTES }>)]
    pub wait_minutes_between_attempts: u32,
    /// `all_or_nothing` (default) or `partial`.
    #[serde(default)]
    #[schema(schema_with = crate::schema_rules::scoring)]
    pub multiple_choice_scoring: Scoring,
    #[serde(default = "yes")]
    pub review_after_grading: bool,
}

impl From<PostTestInput> for PostTest {
    fn from(p: PostTestInput) -> Self {
        PostTest {
            pass_mark: p.pass_mark,
            attempt_limit: p.attempt_limit,
            time_limit_minutes: p.time_limit_minutes,
            questions_per_attempt: p.questions_per_attempt,
            wait_minutes_between_attempts: p.wait_minutes_between_attempts,
            multiple_choice_scoring: p.multiple_choice_scoring,
            review_after_grading: p.review_after_grading,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCourseRequest {
    /// Unique; letters, digits, `-`, `_`, `.`.
    #[schema(schema_with = crate::schema_rules::course_code)]
    pub code: String,
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TITLE }>)]
    pub title: String,
    #[schema(schema_with = crate::schema_rules::text::<{ limits::MAX_DESCRIPTION }>)]
    pub description: String,
    /// Lower-case slug.
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TOPIC }>)]
    pub topic: String,
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TITLE }>)]
    pub organiser: String,
    /// Exact decimal as a string (`"1.5"`) or an integer; floats are refused.
    #[schema(schema_with = crate::schema_rules::jp)]
    pub jp: Jp,
    pub post_test: PostTestInput,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftMetaRequest {
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TITLE }>)]
    pub title: String,
    #[schema(schema_with = crate::schema_rules::text::<{ limits::MAX_DESCRIPTION }>)]
    pub description: String,
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TOPIC }>)]
    pub topic: String,
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TITLE }>)]
    pub organiser: String,
    #[schema(schema_with = crate::schema_rules::jp)]
    pub jp: Jp,
    pub post_test: PostTestInput,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VideoInput {
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_URL }>)]
    pub url: String,
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_VIDEO_MINUTES }>)]
    pub duration_minutes: u32,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModuleInput {
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_TITLE }>)]
    pub title: String,
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_ORDER }>)]
    pub order: u32,
    #[schema(schema_with = crate::schema_rules::count::<{ limits::MAX_MODULE_MINUTES }>)]
    pub min_engaged_minutes: u32,
    #[serde(default = "yes")]
    pub required: bool,
    #[schema(schema_with = crate::schema_rules::text::<{ limits::MAX_BODY }>)]
    pub body_markdown: String,
    pub video: Option<VideoInput>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionInput {
    #[schema(schema_with = crate::schema_rules::line::<{ limits::MAX_OPTION_TEXT }>)]
    pub text: String,
    #[serde(default)]
    pub correct: bool,
}

/// The refusals of every draft edit, listed once for all of them.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Only its OpenAPI description is used: the refusals are `ApiError`s.
enum DraftEditRefusals {
    /// `course_not_found`; `module_not_found`, `question_not_found` (deleting a key the draft lacks)
    #[response(status = 404)]
    NotFound(ErrorBody),
    /// `content_managed_course` (edit its content folder), `course_retired`, `conflict` (another
    /// edit came first; retry)
    #[response(status = 409)]
    Conflict(ErrorBody),
    /// `invalid_field`: the draft would break a bound (a text too long, too many modules or
    /// questions); `invalid_module_order` (a reorder that does not name every key once)
    #[response(status = 422)]
    Unprocessable(ErrorBody),
}

/// A question, by its `type`: choice questions carry `options`, true/false ones `answer`.
#[derive(Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum QuestionInput {
    SingleChoice {
        #[schema(schema_with = crate::schema_rules::text::<{ limits::MAX_QUESTION_TEXT }>)]
        text: String,
        #[serde(default)]
        #[schema(schema_with = crate::schema_rules::optional_text::<{ limits::MAX_EXPLANATION }>)]
        explanation: Option<String>,
        #[schema(max_items = 8)]
        options: Vec<OptionInput>,
    },
    MultipleChoice {
        #[schema(schema_with = crate::schema_rules::text::<{ limits::MAX_QUESTION_TEXT }>)]
        text: String,
        #[serde(default)]
        #[schema(schema_with = crate::schema_rules::optional_text::<{ limits::MAX_EXPLANATION }>)]
        explanation: Option<String>,
        #[schema(max_items = 8)]
        options: Vec<OptionInput>,
    },
    TrueFalse {
        #[schema(schema_with = crate::schema_rules::text::<{ limits::MAX_QUESTION_TEXT }>)]
        text: String,
        #[serde(default)]
        #[schema(schema_with = crate::schema_rules::optional_text::<{ limits::MAX_EXPLANATION }>)]
        explanation: Option<String>,
        /// Whether the statement is true.
        answer: bool,
    },
}

impl QuestionInput {
    fn into_spec(self, key: String) -> QuestionSpec {
        let choices = |options: Vec<OptionInput>| options.into_iter().map(|o| (o.text, o.correct)).collect();
        let (text, explanation, answers) = match self {
            Self::SingleChoice { text, explanation, options } => {
                (text, explanation, AuthoredAnswers::SingleChoice(choices(options)))
            }
            Self::MultipleChoice { text, explanation, options } => {
                (text, explanation, AuthoredAnswers::MultipleChoice(choices(options)))
            }
            Self::TrueFalse { text, explanation, answer } => {
                (text, explanation, AuthoredAnswers::TrueFalse(answer))
            }
        };
        QuestionSpec::authored(key, &text, explanation.as_deref(), answers)
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReorderRequest {
    /// Every module key of the draft, in the new order.
    #[schema(schema_with = crate::schema_rules::key_list)]
    pub keys: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OptionView {
    pub id: String,
    pub text: String,
    pub correct: bool,
}

#[derive(Serialize, ToSchema)]
pub struct QuestionView {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    pub explanation: Option<String>,
    pub options: Vec<OptionView>,
}

#[derive(Serialize, ToSchema)]
pub struct ModuleView {
    pub key: String,
    pub title: String,
    pub order: u32,
    pub min_engaged_minutes: u32,
    pub required: bool,
    pub body_markdown: String,
    pub video_url: Option<String>,
    pub video_minutes: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PostTestView {
    pub pass_mark: u32,
    pub attempt_limit: u32,
    pub time_limit_minutes: u32,
    pub questions_per_attempt: u32,
    pub wait_minutes_between_attempts: u32,
    pub multiple_choice_scoring: String,
    pub review_after_grading: bool,
}

/// A version's full content, answer keys included (authors only).
#[derive(Serialize, ToSchema)]
pub struct VersionContentView {
    pub title: String,
    pub description: String,
    pub topic: String,
    pub organiser: String,
    pub jp: String,
    pub required_minutes: u64,
    pub content_hash: String,
    pub post_test: PostTestView,
    pub modules: Vec<ModuleView>,
    pub questions: Vec<QuestionView>,
}

fn post_test_view(p: &PostTest) -> PostTestView {
    PostTestView {
        pass_mark: p.pass_mark,
        attempt_limit: p.attempt_limit,
        time_limit_minutes: p.time_limit_minutes,
        questions_per_attempt: p.questions_per_attempt,
        wait_minutes_between_attempts: p.wait_minutes_between_attempts,
        multiple_choice_scoring: p.multiple_choice_scoring.as_str().to_string(),
        review_after_grading: p.review_after_grading,
    }
}

fn module_view(m: &ModuleSpec) -> ModuleView {
    ModuleView {
        key: m.key.clone(),
        title: m.title.clone(),
        order: m.order,
        min_engaged_minutes: m.min_engaged_minutes,
        required: m.required,
        body_markdown: m.body_markdown.clone(),
        video_url: m.video.as_ref().map(|v| v.url.clone()),
        video_minutes: m.video.as_ref().map(|v| v.duration_minutes),
    }
}

impl From<&VersionSpec> for VersionContentView {
    fn from(s: &VersionSpec) -> Self {
        Self {
            title: s.meta.title.clone(),
            description: s.meta.description.clone(),
            topic: s.meta.topic.clone(),
            organiser: s.meta.organiser.clone(),
            jp: s.meta.jp.to_string(),
            required_minutes: s.required_minutes(),
            content_hash: s.content_hash(),
            post_test: post_test_view(&s.meta.post_test),
            modules: s.modules.iter().map(module_view).collect(),
            questions: s
                .questions
                .iter()
                .map(|q| QuestionView {
                    key: q.key.clone(),
                    kind: q.kind.as_str().to_string(),
                    text: q.text.clone(),
                    explanation: q.explanation.clone(),
                    options: q
                        .options
                        .iter()
                        .map(|o| OptionView { id: o.id.clone(), text: o.text.clone(), correct: o.correct })
                        .collect(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct VersionInfoView {
    pub id: uuid::Uuid,
    pub version: i32,
    /// `draft` or `published`.
    pub status: String,
    pub content_hash: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct AuthoredCourseView {
    pub id: uuid::Uuid,
    pub code: String,
    /// `api` or `content` (content-file courses change only through their files).
    pub source: String,
    pub owner_id: Option<uuid::Uuid>,
    pub retired: bool,
    pub versions: Vec<VersionInfoView>,
    pub draft: Option<VersionContentView>,
    pub published: Option<VersionContentView>,
    /// Why the draft cannot be published yet; empty when it can.
    pub draft_problems: Vec<String>,
}

impl From<AuthoredCourse> for AuthoredCourseView {
    fn from(c: AuthoredCourse) -> Self {
        Self {
            id: c.id,
            code: c.code,
            source: c.source,
            owner_id: c.owner_id,
            retired: c.retired,
            versions: c
                .versions
                .into_iter()
                .map(|v| VersionInfoView {
                    id: v.id,
                    version: v.version,
                    status: v.status,
                    content_hash: v.content_hash,
                    published_at: v.published_at,
                })
                .collect(),
            draft: c.draft.as_ref().map(Into::into),
            published: c.published.as_ref().map(Into::into),
            draft_problems: c.draft_problems,
        }
    }
}

fn meta(
    code: CourseCode,
    title: String,
    description: String,
    topic: String,
    organiser: String,
    jp: Jp,
    pt: PostTestInput,
) -> CourseMeta {
    CourseMeta { code, title, description, topic, organiser, jp, post_test: pt.into() }
}

fn valid_key(key: &str) -> Result<(), ApiError> {
    if is_valid_key(key) {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_path_parameter",
            "kunci hanya boleh huruf, angka, '-' dan '_' (1–64 karakter)",
        ))
    }
}

/// Creates a course with an empty draft (version 1).
#[utoipa::path(post, operation_id = "list_authored_courses", path = "/api/v1/instructor/courses", tag = "authoring", security(("bearer" = [])),
    request_body = CreateCourseRequest,
    responses((status = 201, body = AuthoredCourseView), (status = 409, description = "`course_code_taken`", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Json(r): Json<CreateCourseRequest>,
) -> Result<(StatusCode, Json<AuthoredCourseView>), ApiError> {
    let code = CourseCode::parse(&r.code)
        .map_err(|m| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", m))?;
    let m = meta(code, r.title, r.description, r.topic, r.organiser, r.jp, r.post_test);
    let out = state.courses.create_course(author(&caller), m).await?;
    Ok((StatusCode::CREATED, Json(out.into())))
}

/// The caller's courses (every course for an administrator).
#[utoipa::path(get, path = "/api/v1/instructor/courses", tag = "authoring", security(("bearer" = [])),
    responses((status = 200, body = Vec<AuthoredCourseView>)))]
pub async fn list(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Vec<AuthoredCourseView>>, ApiError> {
    Ok(Json(state.courses.authored_courses(author(&caller)).await?.into_iter().map(Into::into).collect()))
}

/// One course with its history, draft and newest published version (answer keys included).
#[utoipa::path(get, operation_id = "authored_course_detail", path = "/api/v1/instructor/courses/{id}", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AuthoredCourseView), (status = 404, body = ErrorBody)))]
pub async fn detail(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    Ok(Json(state.courses.authored_course(author(&caller), id).await?.into()))
}

async fn edit(
    state: &AppState,
    caller: &accounts::Caller,
    id: uuid::Uuid,
    e: DraftEdit,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    Ok(Json(state.courses.edit_draft(author(caller), id, e).await?.into()))
}

/// Replaces the draft's descriptive fields, JP and post-test settings (the code never changes).
/// Creates the draft from the newest published version if there is none.
#[utoipa::path(put, path = "/api/v1/instructor/courses/{id}/draft", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = DraftMetaRequest,
    responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn put_meta(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
    Json(r): Json<DraftMetaRequest>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    // The code is ignored by the edit; any valid placeholder will do.
    let placeholder = CourseCode::parse("X").map_err(ApiError::internal)?;
    let m = meta(placeholder, r.title, r.description, r.topic, r.organiser, r.jp, r.post_test);
    edit(&state, &caller, id, DraftEdit::Meta(m)).await
}

/// Adds or replaces the draft module with this key.
#[utoipa::path(put, path = "/api/v1/instructor/courses/{id}/draft/modules/{key}", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("key" = String, Path, description = "Stable module key, e.g. `01-pengantar`")),
    request_body = ModuleInput, responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn put_module(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path((id, key)): Path<(uuid::Uuid, String)>,
    Json(m): Json<ModuleInput>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    valid_key(&key)?;
    let spec = ModuleSpec {
        key,
        title: m.title.trim().to_string(),
        order: m.order,
        min_engaged_minutes: m.min_engaged_minutes,
        required: m.required,
        body_markdown: m.body_markdown.trim().to_string(),
        video: m.video.map(|v| Video { url: v.url.trim().to_string(), duration_minutes: v.duration_minutes }),
    };
    edit(&state, &caller, id, DraftEdit::PutModule(spec)).await
}

/// Removes a module from the draft.
#[utoipa::path(delete, path = "/api/v1/instructor/courses/{id}/draft/modules/{key}", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("key" = String, Path)),
    responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn delete_module(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path((id, key)): Path<(uuid::Uuid, String)>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    valid_key(&key)?;
    edit(&state, &caller, id, DraftEdit::DeleteModule(key)).await
}

/// Reorders the draft's modules.
#[utoipa::path(put, path = "/api/v1/instructor/courses/{id}/draft/module-order", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReorderRequest,
    responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn reorder(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
    Json(r): Json<ReorderRequest>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    edit(&state, &caller, id, DraftEdit::Reorder(r.keys)).await
}

/// Reorders the draft's question bank.
#[utoipa::path(put, path = "/api/v1/instructor/courses/{id}/draft/question-order", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), request_body = ReorderRequest,
    responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn reorder_questions(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
    Json(r): Json<ReorderRequest>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    edit(&state, &caller, id, DraftEdit::ReorderQuestions(r.keys)).await
}

/// Adds or replaces the draft question with this key.
#[utoipa::path(put, path = "/api/v1/instructor/courses/{id}/draft/questions/{key}", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("key" = String, Path)), request_body = QuestionInput,
    responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn put_question(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path((id, key)): Path<(uuid::Uuid, String)>,
    Json(q): Json<QuestionInput>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    valid_key(&key)?;
    let spec = q.into_spec(key);
    edit(&state, &caller, id, DraftEdit::PutQuestion(spec)).await
}

/// Removes a question from the draft.
#[utoipa::path(delete, path = "/api/v1/instructor/courses/{id}/draft/questions/{key}", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path), ("key" = String, Path)),
    responses((status = 200, body = AuthoredCourseView), DraftEditRefusals))]
pub async fn delete_question(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path((id, key)): Path<(uuid::Uuid, String)>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    valid_key(&key)?;
    edit(&state, &caller, id, DraftEdit::DeleteQuestion(key)).await
}

#[derive(Serialize, ToSchema)]
pub struct PreviewOptionView {
    pub id: String,
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewQuestionView {
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub text: String,
    pub options: Vec<PreviewOptionView>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewModuleView {
    pub key: String,
    pub title: String,
    pub order: u32,
    pub min_engaged_seconds: u32,
    pub required: bool,
    pub html: String,
}

/// The draft (or newest published version) as learners will see it: rendered modules and
/// questions without answer keys.
#[derive(Serialize, ToSchema)]
pub struct PreviewView {
    pub version: i32,
    pub status: String,
    pub title: String,
    pub description: String,
    pub jp: String,
    pub modules: Vec<PreviewModuleView>,
    pub questions: Vec<PreviewQuestionView>,
}

impl From<Preview> for PreviewView {
    fn from(p: Preview) -> Self {
        Self {
            version: p.version,
            status: p.status,
            title: p.meta.title,
            description: p.meta.description,
            jp: p.meta.jp.to_string(),
            modules: p
                .modules
                .into_iter()
                .map(|(m, html)| PreviewModuleView {
                    key: m.key,
                    title: m.title,
                    order: m.order,
                    min_engaged_seconds: m.min_engaged_minutes.saturating_mul(60),
                    required: m.required,
                    html,
                })
                .collect(),
            questions: p
                .questions
                .into_iter()
                .map(|q| PreviewQuestionView {
                    key: q.key,
                    kind: q.kind,
                    text: q.text,
                    options: q.options.into_iter().map(|(id, text)| PreviewOptionView { id, text }).collect(),
                })
                .collect(),
        }
    }
}

/// Preview as a learner would see it.
#[utoipa::path(get, path = "/api/v1/instructor/courses/{id}/preview", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = PreviewView), (status = 404, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<PreviewView>, ApiError> {
    Ok(Json(state.courses.preview(author(&caller), id).await?.into()))
}

/// Publishes the draft. Refused (422 `not_publishable`, with every problem in
/// `details.problems`) when a rule is broken, e.g. required study time short of JP × 45 minutes.
#[utoipa::path(post, path = "/api/v1/instructor/courses/{id}/publish", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = AuthoredCourseView), (status = 404, description = "`course_not_found`", body = ErrorBody),
        (status = 409, description = "`nothing_to_publish`, `content_managed_course`, `course_retired`, `conflict`", body = ErrorBody),
        (status = 422, description = "`not_publishable`; `details.shortfall_minutes` when study time is short", body = ErrorBody)))]
pub async fn publish(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    Ok(Json(state.courses.publish(author(&caller), id).await?.into()))
}

/// Retires the course: hidden from the catalog, closed to new enrolments; enrolled learners keep
/// access.
#[utoipa::path(post, path = "/api/v1/instructor/courses/{id}/retire", tag = "authoring", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path)), responses((status = 200, body = AuthoredCourseView), (status = 404, description = "`course_not_found`", body = ErrorBody),
        (status = 409, description = "`content_managed_course`, `course_retired` (already), `conflict`", body = ErrorBody)))]
pub async fn retire(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<AuthoredCourseView>, ApiError> {
    Ok(Json(state.courses.retire(author(&caller), id).await?.into()))
}
