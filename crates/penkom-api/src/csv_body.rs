//! Report answers, streamed as the client reads them: CSV, and JSON documents whose long array
//! is produced row by row.
//!
//! Reports can hold 100,000 rows. Rows come from the database a page or an OPD at a time
//! (`jp_ledger::compliance`), are encoded in batches while the body is sent, and the next batch
//! is only asked for when the client has read the last: a report never sits whole in memory,
//! and a stalled download holds almost nothing. A failure half-way aborts the body, so the
//! client sees a broken transfer, never a short file that looks complete. Cells that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) get a leading apostrophe: a name typed as `=HYPERLINK(…)`
//! in an import must not become a live link in an HR clerk's spreadsheet.

use axum::BoxError;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};

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

/// The items a channel receives, as a stream.
pub fn received<T: Send + 'static>(
    rx: tokio::sync::mpsc::Receiver<T>,
) -> impl Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })
}

/// Rows encoded together into one chunk of the body.
const BATCH: usize = 500;

/// A `text/csv` answer with `header_row` and the `rows` as they come, named `filename`.
/// `hold` lives as long as the body (a permit bounding concurrent reports).
pub fn streamed<E: Into<BoxError> + Send + 'static>(
    filename: &str,
    header_row: &[&str],
    rows: impl Stream<Item = Result<Vec<String>, E>> + Send + 'static,
    sep: u8,
    hold: impl Send + Sync + 'static,
) -> Response {
    let head = encode(&[header_row.iter().map(|s| s.to_string()).collect()], sep);
    let body = futures_util::stream::once(async move { Ok::<_, BoxError>(head) }).chain(
        rows.ready_chunks(BATCH).map(move |batch| {
            let rows: Vec<Vec<String>> = batch.into_iter().collect::<Result<_, E>>().map_err(Into::into)?;
            Ok::<_, BoxError>(encode(&rows, sep))
        }),
    );
    attachment("text/csv; charset=utf-8", filename, held(body, hold))
}

/// A JSON answer: `head`, then the `items` as the elements of an array, then `tail`.
pub fn json_array<T: serde::Serialize + Send + 'static, E: Into<BoxError> + Send + 'static>(
    head: String,
    items: impl Stream<Item = Result<T, E>> + Send + 'static,
    tail: impl FnOnce() -> String + Send + 'static,
    hold: impl Send + Sync + 'static,
) -> Response {
    let mut first = true;
    let body = futures_util::stream::once(async move { Ok::<_, BoxError>(head.into_bytes()) })
        .chain(items.ready_chunks(BATCH).map(move |batch| {
            let mut out = Vec::new();
            for item in batch {
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                serde_json::to_writer(&mut out, &item.map_err(Into::into)?)?;
            }
            Ok::<_, BoxError>(out)
        }))
        .chain(futures_util::stream::once(async move { Ok::<_, BoxError>(tail().into_bytes()) }));
    let mut res = Body::from_stream(held(body, hold)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

/// `body`, keeping `hold` alive until it is finished or dropped.
fn held<S: Stream + Send + 'static>(
    body: S,
    hold: impl Send + Sync + 'static,
) -> impl Stream<Item = S::Item> + Send + 'static {
    body.chain(
        futures_util::stream::once(async move {
            drop(hold);
        })
        .filter_map(|()| async { None }),
    )
}

fn attachment(
    kind: &'static str,
    filename: &str,
    body: impl Stream<Item = Result<Vec<u8>, BoxError>> + Send + 'static,
) -> Response {
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(kind)), (header::CONTENT_DISPOSITION, disposition)],
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
