//! Signing in and out.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddr, Json};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// NIP (18 digits, as a string) or e-mail address.
    pub login: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token; send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    /// When true, the only useful call is `POST /api/v1/me/password`.
    pub must_change_password: bool,
}

/// Signs in with NIP or e-mail and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, body = LoginResponse),
    (status = 401, description = "`invalid_credentials`", body = ErrorBody),
    (status = 429, description = "`too_many_attempts`, with Retry-After", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    addr: ClientAddr,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let issued = state.accounts.sign_in(&req.login, &req.password, addr.0).await?;
    Ok(Json(LoginResponse {
        token: issued.token,
        expires_at: issued.expires_at,
        must_change_password: issued.must_change_password,
    }))
}

/// Revokes the token this request carries.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "Signed out"), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, Authed(caller): Authed) -> Result<StatusCode, ApiError> {
    state.accounts.sign_out(&caller).await?;
    Ok(StatusCode::NO_CONTENT)
}
