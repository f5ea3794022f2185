//! Certificates for their holders, verifiers and administrators: the signed credential as
//! issued, the PDF, the holder's list, and revocation.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use certificates::{Certificate, Summary};
use penkom_core::Role;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddr, Json, Path};
use crate::state::AppState;

/// A certificate as lists and verification answers show it (the schema of [`Summary`]).
/// The certificate `id` if the caller may see it: its holder, a verifier or an administrator.
/// Anyone else is told it does not exist, so ids cannot be probed.
async fn visible(
    state: &AppState,
    caller: &accounts::Caller,
    id: uuid::Uuid,
    addr: ClientAddr,
) -> Result<Certificate, ApiError> {
    let c = state.certificates.find(id).await?.ok_or_else(not_found)?;
    let own = c.row.person_id == caller.id.0;
    if !own && !caller.has(Role::Verifier) && !caller.has(Role::Admin) {
        return Err(not_found());
    }
    if !own {
        // Someone else's certificate holds personal data: record who looked.
        accounts::audit::record(
            &state.db,
            state.clock.now(),
            Some(caller.id),
            "certificate_viewed",
            Some(&id.to_string()),
            None,
            addr.0.map(|a| a.to_string()).as_deref(),
        )
        .await?;
    }
    Ok(c)
}

pub fn not_found() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "certificate_not_found", "sertifikat tidak ditemukan")
}

/// The signed credential (Open Badges 3.0, eddsa-jcs-2022), byte for byte as issued.
#[utoipa::path(get, path = "/api/v1/certificates/{id}", tag = "certificates", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Certificate id")),
    responses((status = 200, description = "The signed credential", body = Object),
        (status = 404, description = "`certificate_not_found`", body = ErrorBody)))]
pub async fn credential(
    State(state): State<AppState>,
    Authed(caller): Authed,
    addr: ClientAddr,
    Path(id): Path<uuid::Uuid>,
) -> Result<Response, ApiError> {
    let c = visible(&state, &caller, id, addr).await?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], c.row.credential)
        .into_response())
}

/// The printable certificate: A4 landscape PDF in Bahasa Indonesia with a QR code to `/v/{code}`.
#[utoipa::path(get, path = "/api/v1/certificates/{id}/pdf", tag = "certificates", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Certificate id")),
    responses((status = 200, description = "application/pdf", content_type = "application/pdf", body = Vec<u8>),
        (status = 404, description = "`certificate_not_found`", body = ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    Authed(caller): Authed,
    addr: ClientAddr,
    Path(id): Path<uuid::Uuid>,
) -> Result<Response, ApiError> {
    let c = visible(&state, &caller, id, addr).await?;
    let bytes =
        certificates::pdf::render(&c.credential, state.certificates.zone()).map_err(ApiError::internal)?;
    let filename = format!("attachment; filename=\"sertifikat-{}.pdf\"", c.row.code);
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/pdf")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_str(&filename).map_err(ApiError::internal)?),
        ],
        bytes,
    )
        .into_response())
}

/// The caller's own certificates, newest first.
#[utoipa::path(get, operation_id = "my_certificates", path = "/api/v1/me/certificates", tag = "certificates", security(("bearer" = [])),
    responses((status = 200, body = [certificates::Summary])))]
pub async fn mine(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<Vec<Summary>>, ApiError> {
    Ok(Json(state.certificates.list_for(caller.id).await?.iter().map(|c| c.summary(true)).collect()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// Why, in 3 to 500 characters. Shown on the public verification page and in the status list.
    #[schema(schema_with = crate::schema_rules::required_line::<3, 500>)]
    pub reason: String,
}

/// Revokes a certificate. Final; recorded in the log and published in the status list.
#[utoipa::path(post, path = "/api/v1/certificates/{id}/revoke", tag = "certificates", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Certificate id")),
    request_body = RevokeRequest,
    responses((status = 200, body = certificates::Summary),
        (status = 404, description = "`certificate_not_found`", body = ErrorBody),
        (status = 409, description = "`certificate_already_revoked`", body = ErrorBody),
        (status = 422, description = "`invalid_reason`", body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Authed(caller): Authed,
    addr: ClientAddr,
    Path(id): Path<uuid::Uuid>,
    Json(body): Json<RevokeRequest>,
) -> Result<Json<Summary>, ApiError> {
    let addr = addr.0.map(|a| a.to_string());
    let c = state.certificates.revoke(id, caller.id, &body.reason, addr.as_deref()).await?;
    Ok(Json(c.summary(true)))
}
