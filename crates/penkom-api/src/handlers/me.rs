//! The caller's own account.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct OpdView {
    pub id: uuid::Uuid,
    pub code: String,
    pub name: String,
}

/// A person's profile.
#[derive(Serialize, ToSchema)]
pub struct ProfileView {
    pub id: uuid::Uuid,
    /// 18-digit NIP as a string; absent for staff accounts without one.
    pub nip: Option<String>,
    pub name: String,
    pub email: String,
    /// `PNS` or `PPPK`.
    pub employment_type: Option<String>,
    pub opd: Option<OpdView>,
    pub rank: Option<String>,
    pub position: Option<String>,
    /// Any of `learner`, `instructor`, `verifier`, `opd_admin`, `admin`.
    pub roles: Vec<String>,
    pub must_change_password: bool,
}

impl From<accounts::Profile> for ProfileView {
    fn from(p: accounts::Profile) -> Self {
        Self {
            id: p.id.0,
            nip: p.nip.map(|n| n.to_string()),
            name: p.name,
            email: p.email,
            employment_type: p.employment_type.map(|e| e.as_str().to_string()),
            opd: p.opd.map(|o| OpdView { id: o.id.0, code: o.code, name: o.name }),
            rank: p.rank,
            position: p.position,
            roles: p.roles.iter().map(|r| r.as_str().to_string()).collect(),
            must_change_password: p.must_change_password,
        }
    }
}

/// The caller's profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])), responses(
    (status = 200, body = ProfileView), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(state.accounts.profile(caller.id).await?.into()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 10 to 128 characters, at least 4 of them different.
    #[schema(min_length = 10, max_length = 128)]
    pub new_password: String,
}

/// Replaces the caller's password (also a one-time password). Other sessions are signed out.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])),
    request_body = ChangePasswordRequest, responses(
    (status = 204, description = "Changed"),
    (status = 403, description = "`wrong_password`", body = ErrorBody),
    (status = 422, description = "`weak_password`, `password_unchanged`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`: too many wrong current passwords; with Retry-After", body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Json(req): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    state.accounts.change_password(&caller, &req.current_password, &req.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}
