//! Form bodies (`application/x-www-form-urlencoded`), as plain forms and the page scripts send
//! them. Kept as the list of pairs they are: a post-test form names one field per chosen option,
//! several with the same name, which a struct-shaped decoder would not keep.

use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};

use crate::error::PageError;
use penkom_api::error::ApiError;

/// The fields of a submitted form.
#[derive(Debug, Clone, Default)]
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Self {
        Self(form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect())
    }

    /// The first value of field `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of field `name`, or an empty text.
    pub fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    /// Every value of field `name`, in the order sent.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// Every field whose name starts with `prefix`, with the rest of the name.
    pub fn prefixed<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0.iter().filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }
}

/// `s` percent-encoded for a query parameter value.
pub fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Whether a request's body is a form (what browsers send for `<form method="post">`).
pub fn is_form(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

impl<S: Send + Sync> FromRequest<S> for Form {
    type Rejection = PageError;

    async fn from_request(req: Request, _: &S) -> Result<Self, PageError> {
        if !is_form(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "kirim formulir sebagai application/x-www-form-urlencoded",
            )
            .into());
        }
        let bytes = penkom_api::extract::body_bytes(req).await?;
        let form = Self::parse(&bytes);
        // PostgreSQL cannot store a NUL in text, and no field has a use for one.
        if let Some((key, _)) = form.0.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
            return Err(penkom_api::field_errors::nul(&key.replace('\0', "")).into());
        }
        Ok(form)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_repeated_fields_and_decodes_them() {
        let f = Form::parse(b"csrf=x&q-1=A&q-1=C&shown=1&login=budi%40kota.go.id&note=a+b");
        assert_eq!(f.get("csrf"), Some("x"));
        assert_eq!(f.all("q-1").collect::<Vec<_>>(), ["A", "C"]);
        assert_eq!(f.prefixed("q-").collect::<Vec<_>>(), [("1", "A"), ("1", "C")]);
        assert_eq!(f.text("login"), "budi@kota.go.id");
        assert_eq!(f.text("note"), "a b");
        assert_eq!(f.text("missing"), "");
    }
}
