//! Who may open which page: the same [`Access`] declarations as the API, enforced by one
//! middleware before any page handler runs, with the session cookie instead of a bearer header.
//!
//! The middleware also checks the CSRF token of every state-changing request (so no handler can
//! forget it), and carries one-time messages ([`Flash`]) in and out. What a refusal looks like
//! depends on who asked: a page gets a redirect to sign-in or an error page in Indonesian; the
//! study player's scripts ([`Kind::Script`]) get the API's JSON error, which they can act on.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use penkom_api::Access;
use penkom_api::error::ApiError;

use crate::WebState;
use crate::error::{PageError, redirect};
use crate::flash::Flash;
use crate::form::{Form, is_form};
use crate::session::{self, CSRF_FIELD, CSRF_HEADER};

/// Who reads a route's answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A person, through the browser: HTML, redirects.
    Page,
    /// A page's own script (the study player): JSON, in the API's error format.
    Script,
}

/// The signed-in person looking at a page.
#[derive(Clone)]
pub struct Viewer {
    pub caller: Arc<accounts::Caller>,
    /// The CSRF token every form of theirs must carry.
    pub csrf: String,
    /// The message the previous request left for this page.
    pub flash: Option<Flash>,
}

/// Anybody looking at a public page: signed in or not.
#[derive(Clone)]
pub struct Visitor {
    pub viewer: Option<Viewer>,
    pub flash: Option<Flash>,
}

/// Largest form the middleware reads to find the CSRF field. The largest real form (a post-test
/// of 100 questions with their option labels) is a few kilobytes.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Enforces a route's [`Access`] and CSRF token, and hands the viewer to the handler.
pub async fn enforce(
    State((state, access, kind)): State<(WebState, Access, Kind)>,
    req: Request,
    next: Next,
) -> Response {
    let secure = state.config.secure_cookies;
    let had_flash = Flash::present(req.headers(), secure);
    let mut res = match admit(&state, access, kind, req).await {
        Ok(req) => next.run(req).await,
        Err(refusal) => refusal,
    };
    // A message leaves with the response that set it, or is removed once a page has shown it.
    if let Some(flash) = res.extensions_mut().remove::<Flash>() {
        res.headers_mut().append(header::SET_COOKIE, flash.cookie(secure));
    } else if had_flash && res.status().is_success() && kind == Kind::Page {
        // Only a page that showed it: an error page has no room for it, and a redirect passes
        // it on to the page it leads to.
        res.headers_mut().append(header::SET_COOKIE, Flash::clear(secure));
    }
    res
}

async fn admit(state: &WebState, access: Access, kind: Kind, req: Request) -> Result<Request, Response> {
    let (mut parts, body) = req.into_parts();
    let secure = state.config.secure_cookies;
    let flash = Flash::from_headers(&parts.headers, secure);
    let token = session::cookie(&parts.headers, session::session_cookie_name(secure)).map(str::to_string);
    let caller = match &token {
        Some(t) => match state.app.accounts.authenticate(t).await {
            Ok(c) => Some(c),
            // A revoked or expired cookie is simply no session; a database failure is not.
            Err(accounts::AuthError::Db(e)) => return Err(refuse(kind, ApiError::from(e))),
            Err(_) => None,
        },
        None => None,
    };
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD);
    let viewer = caller.map(|caller| Viewer {
        caller,
        csrf: token.as_deref().map(session::csrf_for).unwrap_or_default(),
        flash: flash.clone(),
    });

    if access == Access::Public {
        // The one public form is sign-in, which has no session yet: its token is the
        // double-submit cookie the sign-in page set.
        let expected = session::cookie(&parts.headers, session::signin_cookie(secure)).map(str::to_string);
        let body =
            if unsafe_method { check_csrf(expected.as_deref(), kind, &parts, body).await? } else { body };
        parts.extensions.insert(Visitor { viewer, flash });
        return Ok(Request::from_parts(parts, body));
    }
    let Some(viewer) = viewer else {
        return Err(match kind {
            Kind::Script => ApiError::unauthenticated().into_response(),
            // After sign-in, the person lands where they were going (only for a page they
            // could open again; a form they were posting has to be filled in again anyway).
            Kind::Page if !unsafe_method => {
                let target = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
                redirect(&format!("/?lanjut={}", crate::form::encode(target)), None)
            }
            Kind::Page => redirect("/", Some(Flash::error("Sesi Anda telah berakhir; silakan masuk lagi."))),
        });
    };
    if viewer.caller.must_change_password && access != Access::SignedInPendingPassword {
        return Err(match kind {
            Kind::Script => ApiError::new(
                StatusCode::FORBIDDEN,
                "password_change_required",
                "ganti kata sandi sekali pakai Anda terlebih dahulu",
            )
            .into_response(),
            Kind::Page => redirect("/ganti-sandi", None),
        });
    }
    if access.admits(Some(&viewer.caller.roles)).is_err() {
        return Err(refuse(kind, ApiError::forbidden()));
    }
    let body = if unsafe_method { check_csrf(Some(&viewer.csrf), kind, &parts, body).await? } else { body };
    parts.extensions.insert(viewer);
    Ok(Request::from_parts(parts, body))
}

/// Checks the CSRF token of a state-changing request, from the header scripts send or the
/// field forms send. The body is read to find the field and handed on unchanged.
async fn check_csrf(expected: Option<&str>, kind: Kind, parts: &Parts, body: Body) -> Result<Body, Response> {
    let refused = || {
        refuse(
            kind,
            ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_invalid",
                "formulir ini sudah kedaluwarsa atau tidak berasal dari Penkom; muat ulang halaman lalu coba lagi",
            ),
        )
    };
    if session::from_another_site(&parts.headers) {
        return Err(refused());
    }
    let (sent, body) = match parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        Some(header) => (Some(header.to_string()), body),
        None if is_form(&parts.headers) => {
            let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
                .await
                .map_err(|e| refuse(kind, penkom_api::extract::body_error(&e)))?;
            (Form::parse(&bytes).get(CSRF_FIELD).map(str::to_string), Body::from(bytes))
        }
        None => (None, body),
    };
    match (expected, sent) {
        (Some(expected), Some(sent)) if session::same_token(expected, &sent) => Ok(body),
        _ => Err(refused()),
    }
}

fn refuse(kind: Kind, e: ApiError) -> Response {
    match kind {
        Kind::Script => e.into_response(),
        Kind::Page => PageError::from(e).into_response(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        // Absent only if a route declared public access and still asked for a viewer.
        parts.extensions.get::<Viewer>().cloned().ok_or_else(|| ApiError::unauthenticated().into())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, PageError> {
        Ok(parts.extensions.get::<Visitor>().cloned().unwrap_or(Visitor { viewer: None, flash: None }))
    }
}
