//! CSV answers, streamed in chunks as the client reads them.
//!
//! Reports can hold 100,000 rows; they are encoded a thousand rows at a time while the body is
//! sent, instead of building one large string first. Cells that a spreadsheet would run as a
//! formula (`=`, `+`, `-`, `@` first) get a leading apostrophe: a name typed as `=HYPERLINK(…)`
//! in an import must not become a live link in an HR clerk's spreadsheet.

use std::convert::Infallible;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// The separator asked for: `;` suits spreadsheets set to Indonesian, where `,` is the decimal
/// separator. Anything else is a 422 rather than a silent default.
pub fn separator(sep: Option<&str>) -> Result<u8, crate::error::ApiError> {
    match sep {
        Some(";" | "semicolon") => Ok(b';'),
        None | Some("," | "comma") => Ok(b','),
        Some(_) => Err(crate::error::ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "sep harus `,` atau `;`",
        )),
    }
}

fn safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) && cell.parse::<f64>().is_err() {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

fn encode(rows: &[Vec<String>], sep: u8) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().delimiter(sep).from_writer(Vec::new());
    for row in rows {
        // Writing to memory cannot fail.
        let _ = w.write_record(row.iter().map(|c| safe(c).into_owned()));
    }
    w.into_inner().unwrap_or_default()
}

/// A `text/csv` answer with `header` and `rows`, named `filename`.
pub fn response(filename: &str, header_row: &[&str], rows: Vec<Vec<String>>, sep: u8) -> Response {
    let head = encode(&[header_row.iter().map(|s| s.to_string()).collect()], sep);
    let chunks: Vec<Vec<Vec<String>>> = {
        let mut rows = rows;
        let mut out = Vec::new();
        while !rows.is_empty() {
            let rest = rows.split_off(rows.len().min(1000));
            out.push(rows);
            rows = rest;
        }
        out
    };
    let body = futures_util::stream::iter(
        std::iter::once(head)
            .chain(chunks.into_iter().map(move |c| encode(&c, sep)))
            .map(Ok::<_, Infallible>),
    );
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// Whether the client asked for CSV, by `format=csv` or by `Accept: text/csv`.
pub fn wanted(format: Option<&str>, headers: &axum::http::HeaderMap) -> Result<bool, crate::error::ApiError> {
    match format {
        Some("csv") => Ok(true),
        Some("json") => Ok(false),
        Some(_) => Err(crate::error::ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "format harus `csv` atau `json`",
        )),
        None => Ok(headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_numbers_kept() {
        let out =
            String::from_utf8(encode(&[vec!["=HYPERLINK(1)".into(), "-1.5".into(), "a;b".into()]], b';'))
                .unwrap();
        assert_eq!(out, "'=HYPERLINK(1);-1.5;\"a;b\"\n");
    }
}
