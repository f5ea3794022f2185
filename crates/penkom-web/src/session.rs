//! The browser session: a cookie holding the bearer token the API would hand out, and the CSRF
//! token derived from it.
//!
//! Why the same token: one sign-in path, one revocation path (sign-out, password change, a
//! one-time password and an import revoke pages and API clients alike, on every node within a
//! second), one rate limit. The cookie is `HttpOnly` (no script can read it), `SameSite=Lax`
//! (no other site's form or fetch sends it), and `Secure` when the public URL is HTTPS.
//!
//! CSRF: `SameSite=Lax` already keeps other sites' POSTs from carrying the cookie, but older
//! browsers and same-site subdomains do not honour it, so every state-changing request also
//! carries a token that only a page of ours can know. It is derived from the session token
//! (SHA-256 with a purpose prefix), so it needs no storage and is the same on every node; a
//! token that leaks cannot be turned back into the session. Before sign-in there is no session,
//! so the sign-in form uses a random double-submit cookie instead.

use axum::http::{HeaderMap, HeaderValue, header};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// The session cookie's name. Behind TLS it carries the `__Host-` prefix, which a browser
/// accepts only from this very host, over HTTPS, for every path and no domain: a sibling site
/// under the same `go.id` domain could otherwise plant its own cookie (its own session, a sign-in
/// token it knows) in a learner's browser, which `SameSite` does not prevent.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-penkom_sesi" } else { "penkom_sesi" }
}

/// The sign-in form's CSRF cookie (double submit), with the same prefix.
pub fn signin_cookie(secure: bool) -> &'static str {
    if secure { "__Host-penkom_masuk" } else { "penkom_masuk" }
}
/// The header the page scripts send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field forms send it in.
pub const CSRF_FIELD: &str = "csrf";

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// The CSRF token of a session.
pub fn csrf_for(session_token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"penkom-web-csrf\0");
    h.update(session_token.as_bytes());
    hex::encode(h.finalize())
}

/// Compares two tokens in time that does not depend on where they differ, so that response
/// times cannot be used to guess a token one character at a time.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh random value for the sign-in form's double-submit cookie.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

/// `Set-Cookie` for a cookie readable only by the server, on every path.
pub fn set_cookie(name: &str, value: &str, max_age_s: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}", max_age_s.max(0));
    // Names and values are ours: hex tokens and base64url text, always valid header bytes.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("penkom_invalid=1; Max-Age=0"))
}

/// `Set-Cookie` for the session token, living as long as the token does.
pub fn session_cookie(
    token: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
    secure: bool,
) -> HeaderValue {
    set_cookie(session_cookie_name(secure), token, (expires_at - now).num_seconds(), secure)
}

/// Whether a browser says the request came from another site. Browsers send `Sec-Fetch-Site`
/// with every request; a state-changing one from a page of ours is `same-origin`, and one the
/// person typed or bookmarked is `none`. Anything else (`same-site`: a sibling host; `cross-site`)
/// is refused before the CSRF token is even looked at. Clients that send no such header (older
/// browsers, scripts) still need the token.
pub fn from_another_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| !v.eq_ignore_ascii_case("same-origin") && !v.eq_ignore_ascii_case("none"))
}

/// `Set-Cookie` that removes cookie `name`.
pub fn clear_cookie(name: &str, secure: bool) -> HeaderValue {
    set_cookie(name, "", 0, secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("a=1; penkom_sesi=pkm_abc ; b=2"));
        h.append(header::COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie(&h, session_cookie_name(false)), Some("pkm_abc"));
        assert_eq!(cookie(&h, "c"), Some("3"));
        assert_eq!(cookie(&h, "penkom"), None);
    }

    #[test]
    fn csrf_tokens_are_per_session_and_compared_whole() {
        let a = csrf_for("pkm_1");
        assert_eq!(a, csrf_for("pkm_1"));
        assert_ne!(a, csrf_for("pkm_2"));
        assert_eq!(a.len(), 64);
        assert!(same_token(&a, &a.clone()));
        assert!(!same_token(&a, &a[..63]));
        assert!(!same_token(&a, &csrf_for("pkm_2")));
    }

    #[test]
    fn only_same_origin_or_typed_requests_pass_the_fetch_site_check() {
        let with = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert("sec-fetch-site", HeaderValue::from_static(v));
            h
        };
        assert!(!from_another_site(&with("same-origin")));
        assert!(!from_another_site(&with("none")));
        assert!(from_another_site(&with("same-site")));
        assert!(from_another_site(&with("cross-site")));
        assert!(!from_another_site(&HeaderMap::new()));
        assert_eq!(session_cookie_name(true), "__Host-penkom_sesi");
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_behind_tls() {
        let c = set_cookie("x", "v", 60, true);
        let c = c.to_str().unwrap();
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.contains("Secure"));
        let plain = set_cookie("x", "v", -5, false);
        assert!(!plain.to_str().unwrap().contains("Secure"));
        assert!(plain.to_str().unwrap().contains("Max-Age=0"));
    }
}
