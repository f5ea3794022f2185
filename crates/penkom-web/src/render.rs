//! Turning a template into an answer.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `page` as an HTML answer with `status`. A template that fails to render is a bug; it answers
/// the API's generic 500, logged with the request id.
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            (status, [(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"))], body)
                .into_response()
        }
        Err(e) => penkom_api::error::ApiError::internal(e).into_response(),
    }
}

/// `page` as a 200 HTML answer.
pub fn ok(page: &impl Template) -> Response {
    html(StatusCode::OK, page)
}
