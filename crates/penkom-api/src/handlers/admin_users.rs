//! Administration of people: bulk import, look-up, one-time passwords; and the OPD list.

use accounts::PeopleFilter;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use penkom_core::{Nip, UserId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path, Query, body_bytes};
use crate::handlers::me::{OpdView, ProfileView};
use crate::state::AppState;

/// What an import did.
#[derive(Serialize, ToSchema)]
pub struct ImportReportView {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub opds_created: usize,
    pub opds_renamed: usize,
}

/// Imports people from CSV (UTF-8; `,` or `;` separated; header row with `nip, name, email,
/// employment_type, opd_code, opd_name` and optional `roles, rank, position`). All or nothing:
/// a file with any bad row imports nothing, and the answer lists every bad row.
#[utoipa::path(post, path = "/api/v1/admin/users/import", tag = "admin", security(("bearer" = [])),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, body = ImportReportView),
        (status = 409, description = "`import_conflict`: an e-mail belongs to another person; `details.rows` lists them", body = ErrorBody),
        (status = 415, description = "`unsupported_media_type`", body = ErrorBody),
        (status = 422, description = "`invalid_import_file`: `details.rows` has `line`, `column` and `reason` of every bad row", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Authed(caller): Authed,
    req: Request,
) -> Result<Json<ImportReportView>, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .unwrap_or_default();
    if !matches!(content_type.as_str(), "text/csv" | "application/csv" | "text/plain") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "kirim berkas CSV dengan Content-Type: text/csv",
        ));
    }
    let body = body_bytes(req).await?;
    // PostgreSQL cannot store a NUL in text, and no CSV cell has a use for one.
    if body.contains(&0) {
        return Err(crate::field_errors::nul("body"));
    }
    let r = state.accounts.import_people(&body, Some(caller.id)).await?;
    Ok(Json(ImportReportView {
        rows: r.rows,
        created: r.created,
        updated: r.updated,
        unchanged: r.unchanged,
        opds_created: r.opds_created,
        opds_renamed: r.opds_renamed,
    }))
}

/// Far beyond any real directory, and small enough for every database's integer types.
const MAX_OFFSET: u64 = 10_000_000;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Exact NIP.
    #[param(schema_with = crate::schema_rules::nip)]
    pub nip: Option<String>,
    /// OPD code.
    #[param(schema_with = crate::schema_rules::line::<200>)]
    pub opd: Option<String>,
    /// Part of the name or e-mail.
    #[param(schema_with = crate::schema_rules::line::<200>)]
    pub q: Option<String>,
    /// Page size, 1–500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u64>,
    #[param(maximum = 10_000_000)]
    pub offset: Option<u64>,
}

#[derive(Serialize, ToSchema)]
pub struct PeoplePageView {
    pub items: Vec<ProfileView>,
    pub total: u64,
}

/// Lists people, filtered and paged.
#[utoipa::path(get, operation_id = "list_people", path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), params(ListQuery),
    responses((status = 200, body = PeoplePageView), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<PeoplePageView>, ApiError> {
    let nip = match q.nip.as_deref() {
        Some(n) => Some(Nip::parse(n).map_err(|e| ApiError::bad_request("invalid_nip", e.to_string()))?),
        None => None,
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::bad_request("invalid_query_parameter", "limit harus antara 1 dan 500"));
    }
    let offset = q.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::bad_request(
            "invalid_query_parameter",
            format!("offset paling besar {MAX_OFFSET}"),
        ));
    }
    let bad = |s: &Option<String>| {
        s.as_deref().is_some_and(|s| !penkom_core::text::is_single_line(s) || s.chars().count() > 200)
    };
    if bad(&q.q) || bad(&q.opd) {
        return Err(ApiError::bad_request(
            "invalid_query_parameter",
            "kata kunci pencarian atau kode OPD tidak valid",
        ));
    }
    let filter = PeopleFilter { nip, opd_code: q.opd, search: q.q, limit, offset };
    let page = state.accounts.list_people(&filter).await?;
    Ok(Json(PeoplePageView { items: page.items.into_iter().map(Into::into).collect(), total: page.total }))
}

#[derive(Serialize, ToSchema)]
pub struct OneTimePasswordView {
    /// Shown once. The person signs in with it and must then choose their own password.
    pub one_time_password: String,
}

/// Gives a person a one-time password to hand over (their other sessions end).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/one-time-password", tag = "admin", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Person id")),
    responses((status = 200, body = OneTimePasswordView), (status = 404, body = ErrorBody),
        (status = 409, description = "`own_account`: not to oneself", body = ErrorBody)))]
pub async fn one_time_password(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<OneTimePasswordView>, ApiError> {
    let password = state.accounts.issue_one_time_password(caller.id, UserId(id)).await?;
    Ok(Json(OneTimePasswordView { one_time_password: password.expose().to_string() }))
}

/// Every work unit (OPD).
#[utoipa::path(get, path = "/api/v1/opds", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<OpdView>)))]
pub async fn opds(State(state): State<AppState>) -> Result<Json<Vec<OpdView>>, ApiError> {
    let list = state.accounts.opds().await?;
    Ok(Json(list.into_iter().map(|o| OpdView { id: o.id.0, code: o.code, name: o.name }).collect()))
}
