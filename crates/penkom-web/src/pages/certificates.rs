//! Sertifikat: the learner's own certificates, their PDF, the signed credential, and the QR code
//! of the verification link. Only the holder sees a certificate here; verifiers have their own
//! pages.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use certificates::Certificate;
use penkom_api::error::ApiError;
use uuid::Uuid;

use crate::WebState;
use crate::access::Viewer;
use crate::error::PageError;
use crate::extract::Path;
use crate::indonesian;
use crate::layout::Layout;
use crate::render;

struct CertificateRow {
    id: Uuid,
    number: String,
    title: String,
    jp: String,
    completed_on: String,
    issued: String,
    minutes: i64,
    score: String,
    /// `Berlaku`, `Dicabut` or `Data uji`.
    status: &'static str,
    valid: bool,
    revocation: Option<String>,
    code: String,
    verify_url: String,
}

#[derive(Template)]
#[template(path = "certificates.html")]
struct CertificatesPage {
    l: Layout,
    rows: Vec<CertificateRow>,
}

/// `GET /sertifikat`.
pub async fn list(State(state): State<WebState>, viewer: Viewer) -> Result<Response, PageError> {
    let s = &state.app;
    let zone = &s.zone;
    let rows = s
        .certificates
        .list_for(viewer.caller.id)
        .await?
        .iter()
        .map(|c| {
            let m = c.summary(true);
            let (status, valid) = match (&m.revoked_at, m.test_data) {
                (Some(_), _) => ("Dicabut", false),
                // The stored record was edited behind Penkom's back: nothing it says holds.
                (None, _) if m.altered => ("Tidak sah: catatan diubah", false),
                (None, true) => ("Data uji", false),
                (None, false) => ("Berlaku", true),
            };
            CertificateRow {
                id: m.id,
                revocation: m.revoked_at.as_deref().map(|at| {
                    format!(
                        "Dicabut {}. Alasan: {}",
                        indonesian::rfc3339(at, zone),
                        m.revocation_reason.as_deref().unwrap_or("-")
                    )
                }),
                number: m.number,
                title: m.course_title,
                jp: indonesian::jp(&m.jp),
                completed_on: indonesian::iso_date(&m.completed_on),
                issued: indonesian::rfc3339(&m.issued_at, zone),
                minutes: m.engaged_minutes,
                score: m.post_test_score,
                status,
                valid,
                code: m.code,
                verify_url: m.verify_url,
            }
        })
        .collect();
    Ok(render::ok(&CertificatesPage { l: Layout::page(&viewer, "Sertifikat", "sertifikat"), rows }))
}

/// The certificate `id` if the viewer holds it; anyone else is told it does not exist.
async fn own(state: &WebState, viewer: &Viewer, id: Uuid) -> Result<Certificate, PageError> {
    match state.app.certificates.find(id).await? {
        Some(c) if c.row.person_id == viewer.caller.id.0 => Ok(c),
        _ => Err(penkom_api::handlers::certificates::not_found().into()),
    }
}

fn download(kind: &'static str, filename: String, body: Vec<u8>) -> Result<Response, PageError> {
    let disposition =
        HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")).map_err(ApiError::internal)?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind)), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// `GET /sertifikat/{id}/pdf`: the printable certificate, rendered from the signed credential.
pub async fn pdf(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let c = own(&state, &viewer, id).await?;
    let bytes = certificates::pdf::render(&c.credential, state.app.certificates.zone())
        .map_err(ApiError::internal)?;
    download("application/pdf", format!("sertifikat-{}.pdf", c.row.code), bytes)
}

/// `GET /sertifikat/{id}/kredensial`: the signed credential, byte for byte as issued.
pub async fn credential(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let c = own(&state, &viewer, id).await?;
    download("application/json", format!("sertifikat-{}.json", c.row.code), c.row.credential.into_bytes())
}

/// `GET /sertifikat/{id}/qr.svg`: the QR code of the verification link, as printed on the PDF.
pub async fn qr(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let c = own(&state, &viewer, id).await?;
    let url = state.app.certificates.issuer().verify_url(&c.row.code);
    let label = format!("Kode QR verifikasi sertifikat {}", c.row.number);
    let svg = certificates::qr::svg(&url, &label).map_err(ApiError::internal)?;
    Ok(([(header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml"))], svg).into_response())
}
