//! The JP ledger: a person's yearly statement, the requirements policy, and JP recorded from
//! outside Penkom.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use jp_ledger::{ExternalInput, JpStatement, Requirement};
use penkom_core::{Jp, Nip};
use penkom_storage::entities::external_training;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query, body_bytes};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    /// Calendar year (local time zone); default: the current year.
    #[param(schema_with = crate::schema_rules::year)]
    pub year: Option<i32>,
}

/// The caller's JP for a year: target, credited, remaining, and every entry with its source.
#[utoipa::path(get, operation_id = "my_jp", path = "/api/v1/me/jp", tag = "ledger", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = JpStatement), (status = 422, description = "`invalid_year`", body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Query(q): Query<YearQuery>,
) -> Result<Json<JpStatement>, ApiError> {
    let year = q.year.unwrap_or_else(|| state.ledger.this_year());
    Ok(Json(state.ledger.statement(caller.id.0, year).await?))
}

#[derive(Serialize, ToSchema)]
pub struct RequirementView {
    pub employment_type: String,
    pub from_year: i32,
    pub target_jp: String,
    pub cap_jp: Option<String>,
    pub record_above_cap: bool,
    /// False for the built-in default.
    pub configured: bool,
}

impl From<Requirement> for RequirementView {
    fn from(r: Requirement) -> Self {
        Self {
            employment_type: r.employment_type,
            from_year: r.from_year,
            target_jp: Jp::format_hundredths(r.target),
            cap_jp: r.cap.map(Jp::format_hundredths),
            record_above_cap: r.record_above_cap,
            configured: r.configured,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequirementsView {
    pub year: i32,
    /// What applies in `year` to each employment type.
    pub effective: Vec<RequirementView>,
    /// Every row an administrator set.
    pub configured: Vec<RequirementView>,
}

/// The yearly JP requirements in force (PNS 20 JP, PPPK 24 JP capped at 24 unless changed).
#[utoipa::path(get, path = "/api/v1/jp/requirements", tag = "ledger", security(("bearer" = [])), params(YearQuery),
    responses((status = 200, body = RequirementsView)))]
pub async fn requirements(
    State(state): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<RequirementsView>, ApiError> {
    let year = jp_ledger::service::check_year(q.year.unwrap_or_else(|| state.ledger.this_year()))?;
    let (effective, configured) = state.ledger.requirements(year).await?;
    Ok(Json(RequirementsView {
        year,
        effective: effective.into_iter().map(Into::into).collect(),
        configured: configured.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequirementRequest {
    #[schema(schema_with = crate::schema_rules::jp)]
    pub target_jp: Jp,
    #[serde(default)]
    #[schema(schema_with = crate::schema_rules::optional_jp)]
    pub cap_jp: Option<Jp>,
    /// Whether JP above the cap are still written to the ledger (they never count).
    #[serde(default = "yes")]
    pub record_above_cap: bool,
}

fn yes() -> bool {
    true
}

/// Sets the requirement of an employment type from a year on. Earlier years keep theirs.
#[utoipa::path(put, path = "/api/v1/jp/requirements/{employment_type}/{from_year}", tag = "ledger", security(("bearer" = [])),
    params(("employment_type" = String, Path, description = "`PNS` or `PPPK`"), ("from_year" = i32, Path, description = "First year it applies to")),
    request_body = RequirementRequest,
    responses((status = 200, body = RequirementView), (status = 422, body = ErrorBody)))]
pub async fn set_requirement(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path((employment_type, from_year)): Path<(String, i32)>,
    Json(body): Json<RequirementRequest>,
) -> Result<Json<RequirementView>, ApiError> {
    let r = state
        .ledger
        .set_requirement(
            &employment_type,
            from_year,
            body.target_jp,
            body.cap_jp,
            body.record_above_cap,
            caller.id,
        )
        .await?;
    Ok(Json(r.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalRequest {
    #[schema(schema_with = crate::schema_rules::nip)]
    pub nip: Nip,
    #[schema(schema_with = crate::schema_rules::required_line::<1, 300>)]
    pub course_name: String,
    #[schema(schema_with = crate::schema_rules::required_line::<1, 300>)]
    pub organiser: String,
    pub start_date: NaiveDate,
    /// Not in the future, nor before `start_date`.
    pub end_date: NaiveDate,
    /// More than 0.
    #[schema(schema_with = crate::schema_rules::jp)]
    pub jp: Jp,
    #[schema(schema_with = crate::schema_rules::required_line::<1, 100>)]
    pub certificate_number: String,
    /// SIASN training type id: 16 E-Learning, 17 Pelatihan Jarak Jauh, 22 Belajar Mandiri,
    /// 5 Pelatihan Manajerial, 3 Teknis, 2 Fungsional, …
    #[schema(minimum = 1, maximum = 99)]
    pub training_type: i32,
    #[schema(schema_with = crate::schema_rules::required_line::<1, 500>)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExternalView {
    pub id: uuid::Uuid,
    pub person_id: uuid::Uuid,
    pub course_name: String,
    pub organiser: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub jp: String,
    pub certificate_number: String,
    pub training_type: i32,
    pub reason: String,
    pub recorded_by: uuid::Uuid,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    pub reversed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub reversal_reason: Option<String>,
    /// `sha256` and media type of the attached evidence file, if any.
    pub evidence_sha256: Option<String>,
    pub evidence_type: Option<String>,
}

impl From<external_training::Model> for ExternalView {
    fn from(m: external_training::Model) -> Self {
        Self {
            id: m.id,
            person_id: m.person_id,
            course_name: m.course_name,
            organiser: m.organiser,
            start_date: m.start_date,
            end_date: m.end_date,
            jp: m.jp,
            certificate_number: m.certificate_number,
            training_type: m.training_type,
            reason: m.reason,
            recorded_by: m.recorded_by,
            recorded_at: m.recorded_at,
            reversed_at: m.reversed_at,
            reversal_reason: m.reversal_reason,
            evidence_sha256: m.evidence_sha256,
            evidence_type: m.evidence_type,
        }
    }
}

/// Records JP earned outside Penkom for a person, credited to the year of `end_date`.
#[utoipa::path(post, path = "/api/v1/jp/external", tag = "ledger", security(("bearer" = [])),
    request_body = ExternalRequest,
    responses((status = 201, body = ExternalView), (status = 404, description = "`person_not_found`", body = ErrorBody),
        (status = 409, description = "`duplicate_external_record`: this person already has a record with this organiser and certificate number", body = ErrorBody),
        (status = 422, description = "`invalid_field`", body = ErrorBody)))]
pub async fn record_external(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Json(b): Json<ExternalRequest>,
) -> Result<(StatusCode, Json<ExternalView>), ApiError> {
    let input = ExternalInput {
        nip: b.nip,
        course_name: b.course_name,
        organiser: b.organiser,
        start_date: b.start_date,
        end_date: b.end_date,
        jp: b.jp,
        certificate_number: b.certificate_number,
        training_type: b.training_type,
        reason: b.reason,
    };
    let row = state.ledger.record_external(input, caller.id).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    /// The file's name, as shown when it is downloaded.
    #[param(schema_with = crate::schema_rules::line::<255>)]
    pub name: Option<String>,
}

/// Attaches the evidence file (PDF, PNG or JPEG, at most 10 MiB) to an external record, once.
#[utoipa::path(put, path = "/api/v1/jp/external/{id}/evidence", tag = "ledger", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "External record"), EvidenceQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream",
        description = "The file's bytes: a PDF, PNG or JPEG, judged by its content (the `Content-Type` is not read)"),
    responses((status = 200, body = ExternalView), (status = 409, description = "`evidence_exists`", body = ErrorBody),
        (status = 415, description = "`unsupported_evidence`", body = ErrorBody)))]
pub async fn attach_evidence(
    State(state): State<AppState>,
    Path(id): Path<uuid::Uuid>,
    Query(q): Query<EvidenceQuery>,
    req: axum::extract::Request,
) -> Result<Json<ExternalView>, ApiError> {
    let bytes = body_bytes(req).await?;
    let name = q.name.unwrap_or_else(|| "bukti".into());
    Ok(Json(state.ledger.attach_evidence(id, &name, bytes.to_vec()).await?.into()))
}

/// The evidence file of an external record.
#[utoipa::path(get, path = "/api/v1/jp/external/{id}/evidence", tag = "ledger", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "External record")),
    responses((status = 200, description = "The file, with the media type its content was judged to have",
            content(("application/pdf"), ("image/png"), ("image/jpeg"))),
        (status = 404, description = "`external_record_not_found`, `evidence_not_found`", body = ErrorBody),
        (status = 409, description = "`evidence_altered`: the stored file no longer matches what was attached and logged (the database was edited)", body = ErrorBody)))]
pub async fn evidence(
    State(state): State<AppState>,
    Path(id): Path<uuid::Uuid>,
) -> Result<Response, ApiError> {
    let jp_ledger::Evidence { bytes, media_type, name } = state.ledger.evidence(id).await?;
    let media = HeaderValue::from_str(&media_type)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"));
    // A download, never rendered inline: the file came from outside and is only checked by its
    // first bytes.
    let name: String =
        name.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')).collect();
    let name = if name.is_empty() { "bukti".to_string() } else { name };
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    Ok((
        [
            (header::CONTENT_TYPE, media),
            (header::CONTENT_DISPOSITION, disposition),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseRequest {
    /// Why, in 1 to 500 characters.
    #[schema(schema_with = crate::schema_rules::required_line::<1, 500>)]
    pub reason: String,
}

/// Reverses an external record: a negative ledger entry; the record itself is kept.
#[utoipa::path(post, path = "/api/v1/jp/external/{id}/reverse", tag = "ledger", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "External record")), request_body = ReverseRequest,
    responses((status = 200, body = ExternalView), (status = 404, description = "`external_record_not_found`", body = ErrorBody),
        (status = 409, description = "`already_reversed`", body = ErrorBody),
        (status = 422, description = "`invalid_field`", body = ErrorBody)))]
pub async fn reverse_external(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
    Json(b): Json<ReverseRequest>,
) -> Result<Json<ExternalView>, ApiError> {
    Ok(Json(state.ledger.reverse_external(id, &b.reason, caller.id).await?.into()))
}
