//! Signing in and out, and replacing a one-time password. The same account service as
//! `POST /api/v1/auth/login`, so the same limits, error texts and audit records.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use penkom_api::error::ApiError;
use penkom_api::extract::ClientAddr;
use serde::Deserialize;

use crate::WebState;
use crate::access::{Viewer, Visitor};
use crate::error::{PageError, redirect};
use crate::extract::Query;
use crate::flash::Flash;
use crate::form::Form;
use crate::layout::Layout;
use crate::render;
use crate::session;

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    l: Layout,
    login: String,
    lanjut: String,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInQuery {
    /// Where to go after signing in.
    lanjut: Option<String>,
}

/// Where to go after signing in: a path on this site, else the dashboard. Never another site:
/// `//evil.example` and `/\evil.example` name a host to a browser, and browsers drop tabs and
/// line breaks from a URL before reading it (`/<TAB>/evil.example` is `//evil.example`), so only
/// visible ASCII is accepted, and the second character may not be a slash of either kind.
fn next_page(lanjut: Option<&str>) -> &str {
    match lanjut {
        Some(p)
            if p.len() > 1
                && p.len() <= 2048
                && p.starts_with('/')
                && p.bytes().all(|b| b.is_ascii_graphic())
                && !matches!(p.as_bytes()[1], b'/' | b'\\') =>
        {
            p
        }
        _ => "/beranda",
    }
}

/// Renders the sign-in form, setting its double-submit cookie if the browser has none yet.
fn sign_in_form(
    state: &WebState,
    visitor: &Visitor,
    headers: &HeaderMap,
    status: StatusCode,
    login: &str,
    lanjut: &str,
    error: Option<String>,
) -> Response {
    let secure = state.config.secure_cookies;
    let csrf = session::cookie(headers, session::signin_cookie(secure))
        .filter(|c| c.len() == 64)
        .map_or_else(session::random_token, str::to_string);
    let page = SignInPage {
        l: Layout::public(visitor, "Masuk", csrf.clone()),
        login: login.to_string(),
        lanjut: lanjut.to_string(),
        error,
    };
    let mut res = render::html(status, &page);
    // Set again on every showing, so a form is good for a day from when it was shown: long
    // enough for a form left open over lunch, short enough to mean nothing.
    let cookie = session::set_cookie(session::signin_cookie(secure), &csrf, 86_400, secure);
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res
}

/// `GET /`: the sign-in form, or onwards for someone already signed in.
pub async fn page(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    Query(q): Query<SignInQuery>,
) -> Response {
    if let Some(v) = &visitor.viewer {
        let to = if v.caller.must_change_password { "/ganti-sandi" } else { next_page(q.lanjut.as_deref()) };
        return redirect(to, None);
    }
    let lanjut = q.lanjut.unwrap_or_default();
    sign_in_form(&state, &visitor, &headers, StatusCode::OK, "", next_page(Some(&lanjut)), None)
}

/// `POST /masuk`: signs in with NIP or e-mail and password, and sets the session cookie.
pub async fn sign_in(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    addr: ClientAddr,
    form: Form,
) -> Response {
    let (login, password) = (form.text("login").trim(), form.text("password"));
    let lanjut = next_page(form.get("lanjut")).to_string();
    match state.app.accounts.sign_in(login, password, addr.0).await {
        Ok(issued) => {
            let to = if issued.must_change_password { "/ganti-sandi" } else { lanjut.as_str() };
            let mut res = redirect(to, None);
            let cookie = session::session_cookie(
                &issued.token,
                issued.expires_at,
                state.app.clock.now(),
                state.config.secure_cookies,
            );
            res.headers_mut().append(header::SET_COOKIE, cookie);
            res
        }
        Err(e) => {
            let e = ApiError::from(e);
            let mut res =
                sign_in_form(&state, &visitor, &headers, e.status, login, &lanjut, Some(e.message.clone()));
            if let Some(after) = e.retry_after {
                res.headers_mut().insert(header::RETRY_AFTER, after.as_secs().max(1).into());
            }
            res
        }
    }
}

/// `GET /masuk`: a bookmarked or reloaded sign-in answer; the form is at `/`.
pub async fn to_form() -> Response {
    redirect("/", None)
}

/// `POST /keluar`: revokes the session's token and removes the cookie.
pub async fn sign_out(State(state): State<WebState>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.accounts.sign_out(&viewer.caller).await?;
    let mut res = redirect("/", Some(Flash::success("Anda telah keluar dari Penkom.")));
    let secure = state.config.secure_cookies;
    res.headers_mut()
        .append(header::SET_COOKIE, session::clear_cookie(session::session_cookie_name(secure), secure));
    Ok(res)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    l: Layout,
    must_change: bool,
    error: Option<String>,
    min_len: usize,
    max_len: usize,
}

fn password_form(viewer: &Viewer, status: StatusCode, error: Option<String>) -> Response {
    let must_change = viewer.caller.must_change_password;
    let l = Layout::page(viewer, "Ganti kata sandi", "");
    let (min_len, max_len) = (accounts::password::MIN_LEN, accounts::password::MAX_LEN);
    render::html(status, &PasswordPage { l, must_change, error, min_len, max_len })
}

/// `GET /ganti-sandi`.
pub async fn password_page(viewer: Viewer) -> Response {
    password_form(&viewer, StatusCode::OK, None)
}

/// `POST /ganti-sandi`: replaces the password (also a one-time one); other devices are signed out.
pub async fn change_password(State(state): State<WebState>, viewer: Viewer, form: Form) -> Response {
    let (current, new) = (form.text("current_password"), form.text("new_password"));
    if new != form.text("confirm_password") {
        let message = "Kata sandi baru dan ulangannya tidak sama.".to_string();
        return password_form(&viewer, StatusCode::UNPROCESSABLE_ENTITY, Some(message));
    }
    match state.app.accounts.change_password(&viewer.caller, current, new).await {
        Ok(()) => redirect("/beranda", Some(Flash::success("Kata sandi Anda sudah diganti."))),
        Err(e) => {
            let e = ApiError::from(e);
            password_form(&viewer, e.status, Some(e.message)).into_response()
        }
    }
}
