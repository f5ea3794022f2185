//! One-time messages across a redirect (POST-redirect-GET): "Anda terdaftar pada kursus ini",
//! or why an action was refused. Kept in a short-lived cookie, so any node can show it; shown
//! once by the next page, which then removes it.
//!
//! The text is escaped like everything else a template shows, so a forged cookie can at most
//! show its own sender a message.

use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::session::{clear_cookie, cookie, set_cookie};

/// The cookie's name; behind TLS with the `__Host-` prefix (see [`crate::session`]).
fn name(secure: bool) -> &'static str {
    if secure { "__Host-penkom_pesan" } else { "penkom_pesan" }
}
/// Longer messages are cut: a message is a sentence, and cookies have a size limit.
const MAX_CHARS: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Success,
    Error,
}

/// A message for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flash {
    pub tone: Tone,
    pub text: String,
}

impl Flash {
    pub fn success(text: impl Into<String>) -> Self {
        Self { tone: Tone::Success, text: text.into() }
    }

    pub fn error(text: impl Into<String>) -> Self {
        Self { tone: Tone::Error, text: text.into() }
    }

    /// Whether this is an error, for templates.
    pub fn is_error(&self) -> bool {
        self.tone == Tone::Error
    }

    /// The `Set-Cookie` that carries this message to the next page.
    pub fn cookie(&self, secure: bool) -> HeaderValue {
        let tone = match self.tone {
            Tone::Success => "ok",
            Tone::Error => "err",
        };
        let text: String = self.text.chars().take(MAX_CHARS).collect();
        set_cookie(name(secure), &format!("{tone}.{}", URL_SAFE_NO_PAD.encode(text)), 60, secure)
    }

    /// The message a request carries, if any.
    pub fn from_headers(headers: &HeaderMap, secure: bool) -> Option<Self> {
        let (tone, text) = cookie(headers, name(secure))?.split_once('.')?;
        let tone = match tone {
            "ok" => Tone::Success,
            "err" => Tone::Error,
            _ => return None,
        };
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(text).ok()?).ok()?;
        Some(Self { tone, text: text.chars().take(MAX_CHARS).collect() })
    }

    /// Whether a request carries a message (which the page it gets must then remove).
    pub fn present(headers: &HeaderMap, secure: bool) -> bool {
        cookie(headers, name(secure)).is_some()
    }

    /// The `Set-Cookie` that removes a shown message.
    pub fn clear(secure: bool) -> HeaderValue {
        clear_cookie(name(secure), secure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header;

    #[test]
    fn a_message_survives_the_round_trip_through_a_cookie() {
        let f = Flash::error("Waktu belajar belum cukup: kurang 30 detik; \"tanda\" <b>");
        let set = f.cookie(false);
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&pair).unwrap());
        assert_eq!(Flash::from_headers(&h, false), Some(f));
        assert!(Flash::present(&h, false));
        assert!(!Flash::present(&h, true), "behind TLS only the prefixed cookie counts");
        h.insert(header::COOKIE, HeaderValue::from_static("penkom_pesan=zz.!!"));
        assert_eq!(Flash::from_headers(&h, false), None);
    }
}
