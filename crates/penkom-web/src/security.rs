//! Headers every page is served with.
//!
//! The Content-Security-Policy admits scripts and styles from this server only, and no inline
//! script or style at all: module bodies are sanitised HTML written by instructors, and should a
//! sanitiser ever miss something, the browser still will not run it. Images and videos may come
//! from HTTPS hosts (module bodies link images; a module's video lives where the agency hosts
//! it); nothing may frame a page (a framed study page could be clicked through by another site).
//! Behind TLS, browsers are told to use nothing else for a year (HSTS), so a session cookie is
//! never offered over a downgraded connection.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;

pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' https:; media-src 'self' https:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'";

/// Adds the security headers to a page's answer; `tls` when the public URL is HTTPS.
pub async fn headers(State(tls): State<bool>, mut res: Response) -> Response {
    let h = res.headers_mut();
    if tls {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    res
}
