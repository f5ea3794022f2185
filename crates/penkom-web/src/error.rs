//! Errors as pages. A domain error first goes through the API crate's one mapping
//! ([`ApiError`]: status, stable code, Indonesian message), so a page and the API can never
//! disagree about what went wrong; this module only decides how a person sees it.
//!
//! Two ways: an error page with the status and the message, or, for an action whose page is
//! still the right place to be (enrolling, completing a module, starting a post-test), a
//! redirect back to that page with the message shown on top ([`OrBack`]).

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use penkom_api::error::ApiError;

use crate::flash::Flash;
use crate::layout::Layout;

/// An error on its way to becoming a page.
#[derive(Debug)]
pub struct PageError {
    pub api: ApiError,
    /// Where to send the person back to, with the message.
    back: Option<String>,
}

impl<E> From<E> for PageError
where
    ApiError: From<E>,
{
    fn from(e: E) -> Self {
        Self { api: ApiError::from(e), back: None }
    }
}

/// Sends the person back to a page with the error's message, instead of an error page.
pub trait OrBack<T> {
    fn or_back(self, to: &str) -> Result<T, PageError>;
}

impl<T, E> OrBack<T> for Result<T, E>
where
    PageError: From<E>,
{
    fn or_back(self, to: &str) -> Result<T, PageError> {
        self.map_err(|e| PageError { back: Some(to.to_string()), ..PageError::from(e) })
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    status: u16,
    heading: &'static str,
    message: String,
    code: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.api;
        if let Some(to) = self.back {
            // A session that ended meanwhile cannot be sent back: the page would bounce to
            // sign-in anyway, without the message.
            if e.status != StatusCode::UNAUTHORIZED {
                return redirect(&to, Some(Flash::error(e.message)));
            }
        }
        let heading = match e.status {
            StatusCode::UNAUTHORIZED => "Silakan masuk",
            StatusCode::FORBIDDEN => "Akses ditolak",
            StatusCode::NOT_FOUND => "Tidak ditemukan",
            StatusCode::TOO_MANY_REQUESTS => "Terlalu banyak permintaan",
            s if s.is_server_error() => "Layanan sedang terganggu",
            _ => "Permintaan tidak dapat diproses",
        };
        let page = ErrorPage {
            l: Layout::bare(heading),
            status: e.status.as_u16(),
            heading,
            message: e.message,
            code: e.code,
        };
        let mut res = crate::render::html(e.status, &page);
        ApiError::finish(e.retry_after, e.transient, &mut res);
        res
    }
}

/// A 303 to `to` (POST-redirect-GET), with a message for the page it lands on.
pub fn redirect(to: &str, flash: Option<Flash>) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or_else(|_| HeaderValue::from_static("/"));
    let mut res = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if let Some(f) = flash {
        // The access middleware turns this into a cookie; it knows whether cookies are Secure.
        res.extensions_mut().insert(f);
    }
    res
}
