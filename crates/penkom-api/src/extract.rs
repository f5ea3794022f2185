//! Request extractors whose failures are answered in Penkom's error format.
//!
//! axum's own extractors answer malformed input with plain-text bodies; these wrap them so that
//! malformed JSON, wrong types, unknown fields, oversized bodies and bad path parameters all
//! become a 4xx with a stable code.

use std::net::{IpAddr, SocketAddr};

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::field_errors;
use crate::state::AppState;

/// JSON in and out, with Penkom's error format for bad input.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

/// Whether a `Content-Type` names JSON: `application/json` or any `application/…+json`.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    /// Reads the body (within the route's limit) and decodes it. Unlike axum's own extractor,
    /// a body that is valid JSON of the wrong shape is always a 422 `invalid_field`: serde
    /// reports some type errors (a `null` or a number where an enum's name belongs) as syntax
    /// errors, which would otherwise reach the client as 400 `malformed_json`.
    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "gunakan Content-Type: application/json",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await?;
        if field_errors::json_has_nul(&bytes) {
            // Rare, so only now the parse that finds where it is.
            if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) {
                return Err(field_errors::nul(&field_errors::nul_path(&value).unwrap_or_default()));
            }
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let decoded = serde_path_to_error::deserialize(&mut de)
            .map_err(|e| (e.path().to_string(), e.inner().to_string()))
            .and_then(|v| de.end().map(|()| v).map_err(|e| (String::new(), e.to_string())));
        let decoded = match decoded {
            Err((_, message)) if message.starts_with("invalid type: floating point") => {
                whole_numbers_as_integers(&bytes).unwrap_or(Err((String::new(), message)))
            }
            other => other,
        };
        match decoded {
            Ok(v) => Ok(Json(v)),
            Err((path, message)) if serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).is_ok() => {
                Err(field_errors::from_serde(&path, &message))
            }
            Err(_) => Err(ApiError::bad_request("malformed_json", "badan permintaan bukan JSON yang valid")),
        }
    }
}

/// Decodes `bytes` again with every whole number written with a fraction (`2026.0`) read as
/// the integer it is. JSON does not tell the two apart, nor does JSON Schema (`2026.0` is an
/// `integer` there), so a client that writes every number as a float must not be refused a year
/// or a count; a fraction that is not zero still is. Only tried after the fast path failed on a
/// float, so ordinary requests never pay for it. `None` if the body is not JSON at all.
fn whole_numbers_as_integers<T: serde::de::DeserializeOwned>(
    bytes: &[u8],
) -> Option<Result<T, (String, String)>> {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Number(n) => {
                let whole = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15);
                if let (true, Some(f)) = (n.is_f64(), whole) {
                    // Exact: |f| < 2^53, so the integer is the float's value.
                    *v = serde_json::Value::from(f as i64);
                }
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(walk),
            serde_json::Value::Object(map) => map.values_mut().for_each(walk),
            _ => {}
        }
    }
    let mut value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    walk(&mut value);
    Some(serde_path_to_error::deserialize(value).map_err(|e| (e.path().to_string(), e.inner().to_string())))
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Path parameters, with Penkom's error format for bad input (e.g. an id that is not a UUID).
/// A NUL character (`%00`) in the path is refused before it can reach the database.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if parts.uri.path().to_ascii_lowercase().contains("%00") {
            return Err(field_errors::nul("path"));
        }
        let axum::extract::Path(v) = axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(v))
    }
}

/// Query parameters, with Penkom's error format for bad input: the parameter named, the
/// problem in Indonesian, a NUL character refused.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("").as_bytes();
        if let Some((key, _)) =
            form_urlencoded::parse(query).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(field_errors::nul(&key.replace('\0', "")));
        }
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query));
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|e| field_errors::query(&e.path().to_string(), &e.inner().to_string()))
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE { too_large() } else { body_error(&r) }
    }
}

pub(crate) fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "badan permintaan terlalu besar")
}

/// Why a body could not be read: too large, too slow in coming (408, from `body_timeout`), or
/// broken off.
pub fn body_error(e: &(dyn std::error::Error + 'static)) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        if c.is::<crate::body_timeout::BodyTimedOut>() {
            return ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "badan permintaan tidak selesai terkirim dalam batas waktu",
            );
        }
        if c.is::<http_body_util::LengthLimitError>() {
            return too_large();
        }
        cause = c.source();
    }
    ApiError::bad_request("invalid_body", "badan permintaan tidak dapat dibaca")
}

/// Answers 413 at once when a request declares (`Content-Length`) a body larger than `limit`,
/// before reading any of it: a client announcing 100 GB gets its answer now, not after the
/// body timeout.
pub async fn refuse_declared_oversize(
    axum::extract::State(limit): axum::extract::State<usize>,
    req: Request,
    next: axum::middleware::Next,
) -> Response {
    if declared_oversize(&req, limit) {
        return too_large().into_response();
    }
    next.run(req).await
}

/// Whether the request's `Content-Length` announces more than `limit` bytes.
pub fn declared_oversize(req: &Request, limit: usize) -> bool {
    req.headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > limit as u64)
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        use axum::extract::path::ErrorKind;
        let PathRejection::FailedToDeserializePathParams(e) = &r else {
            return ApiError::bad_request("invalid_path_parameter", "parameter alamat tidak valid");
        };
        let (key, problem) = match e.kind() {
            ErrorKind::ParseErrorAtKey { key, .. } | ErrorKind::DeserializeError { key, .. } => {
                (key.clone(), "formatnya tidak valid")
            }
            ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), "bukan UTF-8 yang valid"),
            _ => (String::new(), "tidak valid"),
        };
        let what = if key.is_empty() { String::new() } else { format!(" `{key}`") };
        ApiError::bad_request("invalid_path_parameter", format!("parameter alamat{what} {problem}"))
            .with_details(serde_json::json!({ "field": key }))
    }
}

/// The address of the client, for per-address limits and the audit trail.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub Option<IpAddr>);

impl<S> FromRequestParts<S> for ClientAddr
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        if state.config.trust_forwarded_for {
            // The load balancer appends the address it saw; anything before it was written by
            // the client and cannot be trusted, so only the last entry counts.
            let forwarded = parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .next_back()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.rsplit(',').next())
                .and_then(|s| parse_forwarded_addr(s.trim()));
            if forwarded.is_some() {
                return Ok(ClientAddr(forwarded));
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        Ok(ClientAddr(peer))
    }
}

/// An address as load balancers write it in `X-Forwarded-For`: `1.2.3.4`, `1.2.3.4:5678`,
/// `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_forwarded_addr(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>().ok().or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
}

/// Reads a whole body as bytes, within the route's body limit.
pub async fn body_bytes(req: Request) -> Result<axum::body::Bytes, ApiError> {
    axum::body::Bytes::from_request(req, &()).await.map_err(ApiError::from)
}
