//! The stylesheet, the scripts and the icon, compiled into the binary: nothing is loaded from a
//! CDN (government networks often block them) and there is no front-end build step.
//!
//! Links carry a version (a digest of every asset), so answers can be cached for a year and a
//! new release is still fetched at once.

use std::sync::LazyLock;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use crate::error::PageError;
use crate::extract::Path;

/// Every asset: name, media type, contents.
const ASSETS: &[(&str, &str, &str)] = &[
    ("penkom.css", "text/css; charset=utf-8", include_str!("../assets/penkom.css")),
    ("player.js", "text/javascript; charset=utf-8", include_str!("../assets/player.js")),
    ("post-test.js", "text/javascript; charset=utf-8", include_str!("../assets/post-test.js")),
    ("penkom.svg", "image/svg+xml", include_str!("../assets/penkom.svg")),
];

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for (name, _, body) in ASSETS {
        h.update(name.as_bytes());
        h.update(body.as_bytes());
    }
    hex::encode(&h.finalize()[..6])
});

/// The version appended to asset links.
pub fn version() -> &'static str {
    &VERSION
}

/// `GET /aset/{name}`.
pub async fn serve(Path(name): Path<String>) -> Result<Response, PageError> {
    let Some((_, kind, body)) = ASSETS.iter().find(|(n, _, _)| *n == name) else {
        return Err(penkom_api::error::ApiError::not_found("berkas tidak ditemukan").into());
    };
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
        ],
        *body,
    )
        .into_response())
}
