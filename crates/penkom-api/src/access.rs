//! Who may call what. Every route declares an [`Access`]; a middleware enforces it before the
//! handler runs, so a handler never sees a caller it did not declare.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use penkom_core::Role;

use crate::error::ApiError;
use crate::state::AppState;

/// The callers a route admits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person, including one who must still replace a one-time password. Only the
    /// few routes needed to do that (and to sign out) use this.
    SignedInPendingPassword,
    /// Any signed-in person with a password of their own.
    SignedIn,
    /// Signed-in people holding at least one of these roles.
    Roles(&'static [Role]),
}

impl Access {
    /// Whether a caller with `roles` (or nobody, for `None`) gets past this check, and if not,
    /// which status they get. Used by the middleware and by the route-walking test.
    pub fn admits(&self, roles: Option<&[Role]>) -> Result<(), StatusCode> {
        match (self, roles) {
            (Access::Public, _) => Ok(()),
            (_, None) => Err(StatusCode::UNAUTHORIZED),
            (Access::SignedIn | Access::SignedInPendingPassword, Some(_)) => Ok(()),
            (Access::Roles(allowed), Some(held)) => {
                if allowed.iter().any(|r| held.contains(r)) {
                    Ok(())
                } else {
                    Err(StatusCode::FORBIDDEN)
                }
            }
        }
    }

    /// A short description for the OpenAPI document.
    pub fn describe(&self) -> String {
        match self {
            Access::Public => "Public.".into(),
            Access::SignedInPendingPassword => {
                "Any signed-in person (also before replacing a one-time password).".into()
            }
            Access::SignedIn => "Any signed-in person.".into(),
            Access::Roles(r) => format!(
                "Roles: {}.",
                r.iter().map(|r| format!("`{}`", r.as_str())).collect::<Vec<_>>().join(", ")
            ),
        }
    }
}

/// The bearer token of a request, if it carries one.
fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// What a route declares: who may call it, and how large its bodies may be.
#[derive(Clone)]
pub struct Guard {
    pub state: AppState,
    pub access: Access,
    pub body_limit: usize,
}

/// Refuses a body declared too large (before anything else, so a client announcing 100 GB gets
/// its 413 now, signed in or not), then enforces the route's [`Access`] and hands the caller to
/// the handler. One middleware for both, because every layer costs each of the tens of thousands
/// of heartbeats a second.
pub async fn enforce(State(guard): State<Guard>, mut req: Request, next: Next) -> Response {
    if crate::extract::declared_oversize(&req, guard.body_limit) {
        return crate::extract::too_large().into_response();
    }
    let (state, access) = (guard.state, guard.access);
    if access == Access::Public {
        return next.run(req).await;
    }
    let Some(token) = bearer(&req) else {
        return ApiError::unauthenticated().into_response();
    };
    let caller = match state.accounts.authenticate(token).await {
        Ok(c) => c,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if caller.must_change_password && access != Access::SignedInPendingPassword {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "password_change_required",
            "ganti kata sandi sekali pakai Anda terlebih dahulu (POST /api/v1/me/password)",
        )
        .into_response();
    }
    if access.admits(Some(&caller.roles)).is_err() {
        return ApiError::forbidden().into_response();
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// The signed-in caller, as established by [`enforce`].
pub struct Authed(pub std::sync::Arc<accounts::Caller>);

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        // Absent only if a route forgot to declare access; answer 401 rather than trusting it.
        parts
            .extensions
            .get::<std::sync::Arc<accounts::Caller>>()
            .cloned()
            .map(Authed)
            .ok_or_else(ApiError::unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_by_declaration() {
        let admin_only = Access::Roles(&[Role::Admin]);
        assert_eq!(admin_only.admits(None), Err(StatusCode::UNAUTHORIZED));
        assert_eq!(admin_only.admits(Some(&[Role::Learner])), Err(StatusCode::FORBIDDEN));
        assert_eq!(admin_only.admits(Some(&[Role::Learner, Role::Admin])), Ok(()));
        assert_eq!(Access::Public.admits(None), Ok(()));
        assert_eq!(Access::SignedIn.admits(Some(&[])), Ok(()));
        assert_eq!(Access::SignedIn.admits(None), Err(StatusCode::UNAUTHORIZED));
    }
}
