//! Path and query extractors whose failures are answered as pages (the API's own answer JSON).

use axum::extract::FromRequestParts;

use crate::error::PageError;

/// Path parameters; a malformed id is a 400 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(penkom_api::extract::Path), rejection(PageError))]
pub struct Path<T>(pub T);

/// Query parameters; an unknown or malformed one is a 400 page.
#[derive(Debug, FromRequestParts)]
#[from_request(via(penkom_api::extract::Query), rejection(PageError))]
pub struct Query<T>(pub T);
