//! Yearly compliance reports and the SIASN export, as JSON or streamed CSV.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use jp_ledger::ReportPart;
use penkom_core::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::access::Authed;
use crate::csv_body;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Query;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Calendar year (local time zone); default: the current year.
    #[param(schema_with = crate::schema_rules::year)]
    pub year: Option<i32>,
    /// Only this OPD (its code). An OPD administrator always gets their own.
    #[param(schema_with = crate::schema_rules::opd_code)]
    pub opd: Option<String>,
    /// `csv` for CSV (or send `Accept: text/csv`); default JSON.
    #[param(schema_with = crate::schema_rules::format)]
    pub format: Option<String>,
    /// CSV separator: `,` (default) or `;` for spreadsheets set to Indonesian.
    #[param(schema_with = crate::schema_rules::separator)]
    pub sep: Option<String>,
}

/// The OPD a report covers, by the ledger's rule (`jp_ledger::scope`).
async fn scope(
    state: &AppState,
    caller: &accounts::Caller,
    asked: Option<&str>,
) -> Result<Option<uuid::Uuid>, ApiError> {
    let viewer = jp_ledger::scope::Viewer {
        sees_every_opd: caller.has(Role::Verifier) || caller.has(Role::Admin),
        own_opd: caller.opd_id.map(|o| o.0),
    };
    Ok(state.ledger.report_scope(viewer, asked).await?)
}

/// Who met the year's JP target: per person, and per OPD.
#[utoipa::path(get, path = "/api/v1/reports/compliance", tag = "reports", security(("bearer" = [])), params(ReportQuery),
    responses((status = 200, description = "The report as JSON, or as CSV (`format=csv` or `Accept: text/csv`)",
            content((jp_ledger::compliance::ComplianceReport = "application/json"), (String = "text/csv"))),
        (status = 403, body = ErrorBody),
        (status = 404, description = "`opd_not_found`", body = ErrorBody),
        (status = 422, description = "`invalid_year`, `invalid_field` (format, sep)", body = ErrorBody),
        (status = 503, description = "`reports_busy`: other reports are being built; with Retry-After", body = ErrorBody)))]
pub async fn compliance(
    State(state): State<AppState>,
    Authed(caller): Authed,
    headers: HeaderMap,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let year = q.year.unwrap_or_else(|| state.ledger.this_year());
    let opd = scope(&state, &caller, q.opd.as_deref()).await?;
    let csv = csv_body::wanted(q.format.as_deref(), &headers)?;
    let sep = csv_body::separator(q.sep.as_deref())?;
    let slot = state.report_slots.take().await?;
    let parts = state.ledger.compliance_parts(year, opd).await?;
    accounts::audit::record(
        &state.db,
        state.clock.now(),
        Some(caller.id),
        "compliance_report_viewed",
        None,
        Some(serde_json::json!({ "year": year, "opd": opd })),
        None,
    )
    .await?;
    let parts = csv_body::received(parts);
    if !csv {
        // The OPD summaries are the last part: the people are the array, the summaries its tail.
        let opds = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let keep = opds.clone();
        let people = parts
            .map(move |part| {
                futures_util::stream::iter(match part {
                    Ok(ReportPart::People(p)) => p.into_iter().map(Ok).collect(),
                    Ok(ReportPart::Opds(o)) => {
                        *keep.lock().unwrap_or_else(|e| e.into_inner()) = o;
                        Vec::new()
                    }
                    Err(e) => vec![Err(e)],
                })
            })
            .flatten();
        let tail = move || {
            let opds = std::mem::take(&mut *opds.lock().unwrap_or_else(|e| e.into_inner()));
            format!("],\"opds\":{}}}", serde_json::to_string(&opds).unwrap_or_else(|_| "[]".into()))
        };
        return Ok(csv_body::json_array(format!("{{\"year\":{year},\"people\":["), people, tail, slot));
    }
    let rows = parts
        .map(|part| {
            futures_util::stream::iter(match part {
                Ok(ReportPart::People(people)) => people
                    .into_iter()
                    .map(|p| {
                        Ok(vec![
                            p.nip,
                            p.name,
                            p.opd_code,
                            p.opd_name,
                            p.employment_type,
                            p.target,
                            p.credited,
                            p.status,
                            p.missing,
                            p.ledger_verified.to_string(),
                        ])
                    })
                    .collect(),
                Ok(ReportPart::Opds(_)) => Vec::new(),
                Err(e) => vec![Err(e)],
            })
        })
        .flatten();
    Ok(csv_body::streamed(
        &format!("kepatuhan-jp-{year}.csv"),
        &[
            "nip",
            "name",
            "opd_code",
            "opd_name",
            "employment_type",
            "target_jp",
            "credited_jp",
            "status",
            "missing_jp",
            "ledger_verified",
        ],
        rows,
        sep,
        slot,
    ))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SiasnQuery {
    /// Calendar year (local time zone); default: the current year.
    #[param(schema_with = crate::schema_rules::year)]
    pub year: Option<i32>,
    /// `csv` for CSV (or send `Accept: text/csv`); default JSON.
    #[param(schema_with = crate::schema_rules::format)]
    pub format: Option<String>,
    /// CSV separator: `,` (default) or `;` for spreadsheets set to Indonesian.
    #[param(schema_with = crate::schema_rules::separator)]
    pub sep: Option<String>,
}

/// Issued, unrevoked certificates of a year with the fields of a SIASN course record. The
/// export covers every OPD: SIASN takes the agency's records as one file.
#[utoipa::path(get, path = "/api/v1/reports/siasn", tag = "reports", security(("bearer" = [])), params(SiasnQuery),
    responses((status = 200, description = "JSON rows, or CSV (`format=csv` or `Accept: text/csv`)",
            content((Vec<jp_ledger::siasn::SiasnRow> = "application/json"), (String = "text/csv"))), (status = 403, body = ErrorBody),
        (status = 422, description = "`invalid_year`, `invalid_field` (format, sep)", body = ErrorBody),
        (status = 503, description = "`reports_busy`: other reports are being built; with Retry-After", body = ErrorBody)))]
pub async fn siasn(
    State(state): State<AppState>,
    Authed(caller): Authed,
    headers: HeaderMap,
    Query(q): Query<SiasnQuery>,
) -> Result<Response, ApiError> {
    let year = q.year.unwrap_or_else(|| state.ledger.this_year());
    let csv = csv_body::wanted(q.format.as_deref(), &headers)?;
    let sep = csv_body::separator(q.sep.as_deref())?;
    let slot = state.report_slots.take().await?;
    let rows = csv_body::received(state.ledger.siasn_rows(year)?);
    accounts::audit::record(
        &state.db,
        state.clock.now(),
        Some(caller.id),
        "siasn_export_viewed",
        None,
        Some(serde_json::json!({ "year": year })),
        None,
    )
    .await?;
    if !csv {
        return Ok(csv_body::json_array("[".into(), rows, || "]".into(), slot));
    }
    let rows = rows.map(|r| {
        r.map(|r| {
            vec![
                r.nip,
                r.nama,
                r.course_name,
                r.organiser,
                r.training_type_id.to_string(),
                r.training_type,
                r.start_date,
                r.end_date,
                r.year.to_string(),
                r.jp,
                r.certificate_number,
                r.location,
            ]
        })
    });
    Ok(csv_body::streamed(
        &format!("siasn-kursus-{year}.csv"),
        &[
            "nip",
            "nama",
            "namaKursus",
            "institusiPenyelenggara",
            "jenisDiklatId",
            "jenisDiklat",
            "tanggalKursus",
            "tanggalSelesaiKursus",
            "tahunKursus",
            "jumlahJam",
            "nomorSertipikat",
            "lokasi",
        ],
        rows,
        sep,
        slot,
    ))
}
