//! Verification: the public page behind the QR code, its JSON twin, the bulk API for
//! verifiers, and the documents offline verifiers need (keys, status list, log head).

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use certificates::checking::{Item, ItemResult, MAX_ITEMS, standing};
use certificates::verify::Status;
use certificates::{Certificate, Summary, VerificationCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ClientAddr, Json, Path};
use crate::state::AppState;

async fn rate_limit(state: &AppState, addr: ClientAddr) -> Result<(), ApiError> {
    Ok(certificates::public_lookups::admit(state.live.as_ref(), addr.0).await?)
}

/// A public verification answer. The NIP is masked.
#[derive(Serialize, ToSchema)]
pub struct PublicVerification {
    /// `valid`, `revoked`, `tampered`, `unknown` (not issued) or `invalid` (not a code).
    pub status: String,
    /// For `revoked`, the reason given; else a code: `test_data`, `stored_document_altered`,
    /// `revocation_not_logged`, `not_issued`, `malformed_code`.
    pub reason: Option<String>,
    pub revoked_at: Option<String>,
    pub certificate: Option<Summary>,
}

fn status_name(s: Status) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

async fn lookup(state: &AppState, code: &str) -> Result<(PublicVerification, Option<Certificate>), ApiError> {
    // Not a code at all (a wrong check character, a wrong length): `invalid`, the verdict the
    // bulk verifier gives the same input, not `unknown`, which says a real code was not issued.
    let Ok(code) = VerificationCode::parse(code) else {
        let v = PublicVerification {
            status: "invalid".into(),
            reason: Some("malformed_code".into()),
            revoked_at: None,
            certificate: None,
        };
        return Ok((v, None));
    };
    let found = state.certificates.find_by_code(code.as_str()).await?;
    let keys = state.certificates.public_keys().await?;
    let v = match &found {
        None => PublicVerification {
            status: "unknown".into(),
            reason: Some("not_issued".into()),
            revoked_at: None,
            certificate: None,
        },
        Some(c) => {
            let verdict = standing(c, &keys);
            PublicVerification {
                status: status_name(verdict.status),
                reason: verdict.reason,
                revoked_at: verdict.revoked_at,
                certificate: Some(c.summary(false)),
            }
        }
    };
    Ok((v, found))
}

/// The verification page behind the QR code, in Bahasa Indonesia.
#[utoipa::path(get, path = "/v/{code}", tag = "verification",
    params(("code" = String, Path, description = "Verification code")),
    responses((status = 200, description = "HTML page", content_type = "text/html"),
        (status = 404, description = "HTML page: unknown code", content_type = "text/html"),
        (status = 429, description = "HTML page: too many lookups, with Retry-After", content_type = "text/html"),
        (status = 503, description = "HTML page: the service is unavailable", content_type = "text/html")))]
pub async fn page(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    // Whoever opens this page scanned a QR code with a phone: a refusal is a page too.
    let found = match rate_limit(&state, addr).await {
        Ok(()) => lookup(&state, &code).await,
        Err(e) => Err(e),
    };
    let (v, _) = match found {
        Ok(found) => found,
        Err(e) => return Ok(crate::verify_page::refusal(e)),
    };
    let status = if v.certificate.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((
        status,
        Html(crate::verify_page::render(
            &v.status,
            v.reason.as_deref(),
            v.revoked_at.as_deref(),
            v.certificate.as_ref(),
            state.certificates.zone(),
        )),
    )
        .into_response())
}

/// The verification page's content as JSON. The NIP is masked.
#[utoipa::path(get, path = "/api/v1/verify/{code}", tag = "verification",
    params(("code" = String, Path, description = "Verification code")),
    responses((status = 200, body = PublicVerification), (status = 404, body = PublicVerification),
        (status = 429, description = "`rate_limited`", body = ErrorBody)))]
pub async fn by_code(
    State(state): State<AppState>,
    addr: ClientAddr,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    rate_limit(&state, addr).await?;
    let (v, _) = lookup(&state, &code).await?;
    let status = if v.certificate.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok((status, Json(v)).into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkRequest {
    /// Up to 1,000 items, each `{"code": …}` or `{"credential": {…}}`, optionally with `"nip"`.
    #[schema(schema_with = crate::schema_rules::bulk_items)]
    pub items: Vec<Item>,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResponse {
    /// One result per item, in the same order.
    pub results: Vec<ItemResult>,
}

/// Verifies up to 1,000 codes or credentials in one request.
#[utoipa::path(post, path = "/api/v1/verify", tag = "verification", security(("bearer" = [])),
    request_body = BulkRequest,
    responses((status = 200, body = BulkResponse),
        (status = 422, description = "`no_items` or `too_many_items`", body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    Authed(caller): Authed,
    addr: ClientAddr,
    Json(body): Json<BulkRequest>,
) -> Result<Json<BulkResponse>, ApiError> {
    if body.items.is_empty() {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "no_items", "daftar verifikasi kosong"));
    }
    if body.items.len() > MAX_ITEMS {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_many_items",
            format!("paling banyak {MAX_ITEMS} butir per permintaan"),
        )
        .with_details(serde_json::json!({ "max_items": MAX_ITEMS, "items": body.items.len() })));
    }
    let results = state.certificates.verify_items(&body.items, true).await?;
    accounts::audit::record(
        &state.db,
        state.clock.now(),
        Some(caller.id),
        "certificates_verified",
        None,
        Some(serde_json::json!({ "items": results.len() })),
        addr.0.map(|a| a.to_string()).as_deref(),
    )
    .await?;
    Ok(Json(BulkResponse { results }))
}

fn public_json(value: serde_json::Value, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // Public documents that change rarely: verifiers and caches may keep them briefly.
            (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60")),
        ],
        value.to_string(),
    )
        .into_response()
}

/// The issuer's DID document (`did:web`), listing every signing key ever used.
#[utoipa::path(get, path = "/.well-known/did.json", tag = "verification",
    responses((status = 200, description = "DID document", content_type = "application/did+json", body = Object)))]
pub async fn did_document(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.certificates.public_keys().await?;
    Ok(public_json(keys.did_document(&state.certificates.issuer().did), "application/did+json"))
}

/// The signing keys as a JSON Web Key Set, for `penkom verify --keys`.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "verification",
    responses((status = 200, description = "JWKS", content_type = "application/jwk-set+json", body = Object)))]
pub async fn jwks(State(state): State<AppState>) -> Result<Response, ApiError> {
    let keys = state.certificates.public_keys().await?;
    Ok(public_json(keys.jwks(&state.certificates.issuer().did), "application/jwk-set+json"))
}

/// The revocation list: a signed W3C Bitstring Status List credential, with the date and reason
/// of each revocation beside the bits.
#[utoipa::path(get, path = "/status/revocation", tag = "verification",
    responses((status = 200, description = "BitstringStatusListCredential", content_type = "application/vc+ld+json", body = Object)))]
pub async fn status_list(State(state): State<AppState>) -> Result<Response, ApiError> {
    let list = state.certificates.status_list().await?;
    Ok(public_json(list, "application/vc+ld+json"))
}

/// The current head of the certificates' hash-chained log, signed.
#[utoipa::path(get, path = "/api/v1/log/head", tag = "verification",
    responses((status = 200, description = "Signed log head", body = Object)))]
pub async fn log_head(State(state): State<AppState>) -> Result<Response, ApiError> {
    let head = state.certificates.log_head().await?;
    Ok(public_json(head, "application/json"))
}
