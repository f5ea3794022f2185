//! The HTML of the public verification page, in Bahasa Indonesia.
//!
//! A page and not only JSON, because the person scanning a QR code with a phone is an HR clerk,
//! not a program. It shows the status first and in words (a revoked certificate says so, with
//! date and reason, instead of looking like a fake), then what the certificate states, with the
//! NIP masked as the personal-data law asks of public pages.

use certificates::Summary;
use chrono::DateTime;
use penkom_core::LocalZone;

use penkom_core::html::escape as esc;

/// `2026-11-02` or an RFC 3339 time as `2 November 2026` (local date).
fn date(s: &str, zone: &LocalZone) -> String {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return certificates::pdf::indonesian_date(zone.to_local(t.to_utc()).date_naive());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(certificates::pdf::indonesian_date)
        .unwrap_or_else(|_| s.to_string())
}

/// A refusal (too many lookups, the service down) as a page, with the error's status and
/// `Retry-After`.
pub fn refusal(e: crate::error::ApiError) -> axum::response::Response {
    use axum::response::IntoResponse;
    let title = if e.status == axum::http::StatusCode::TOO_MANY_REQUESTS {
        "Terlalu banyak pemeriksaan"
    } else {
        "Layanan sedang terganggu"
    };
    let html = format!(
        r#"<!doctype html>
<html lang="id">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verifikasi Sertifikat Penkom: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#222}}
.status{{border-radius:.5rem;padding:1rem 1.25rem;color:#fff;background:#6b6b6b}}.status h1{{margin:0 0 .25rem}}</style></head>
<body>
<div class="status"><h1>{title}</h1><p>{message}</p></div>
<p>Silakan muat ulang halaman ini sebentar lagi. Kode: <code>{code}</code></p>
</body></html>
"#,
        message = esc(&e.message),
        code = e.code,
    );
    let mut res = (e.status, axum::response::Html(html)).into_response();
    crate::error::ApiError::finish(e.retry_after, e.transient, &mut res);
    res
}

pub fn render(
    status: &str,
    reason: Option<&str>,
    revoked_at: Option<&str>,
    c: Option<&Summary>,
    zone: &LocalZone,
) -> String {
    let (title, colour, explanation) = match (status, reason) {
        ("valid", Some("test_data")) => (
            "DATA UJI",
            "#8a5a00",
            "Sertifikat ini diterbitkan oleh server uji dengan jam simulasi dan tidak berlaku sebagai sertifikat."
                .to_string(),
        ),
        ("valid", _) => ("SAH", "#1b7f3b", "Sertifikat ini diterbitkan oleh Penkom dan tidak dicabut.".to_string()),
        ("tampered", _) => (
            "TIDAK SAH",
            "#b3261e",
            "Data sertifikat ini di server tidak lagi cocok dengan tanda tangan elektroniknya. Hubungi BKPSDM.".to_string(),
        ),
        ("revoked", _) => (
            "DICABUT",
            "#b3261e",
            format!(
                "Sertifikat ini pernah diterbitkan, tetapi dicabut pada {}. Alasan: {}",
                revoked_at.map(|t| date(t, zone)).unwrap_or_default(),
                reason.unwrap_or("-")
            ),
        ),
        _ => (
            "TIDAK DIKENAL",
            "#6b6b6b",
            "Tidak ada sertifikat dengan kode ini. Periksa kembali kode yang diketik.".to_string(),
        ),
    };
    let mut rows = String::new();
    if let Some(c) = c {
        let mut row =
            |k: &str, v: &str| rows.push_str(&format!("<tr><th>{}</th><td>{}</td></tr>\n", esc(k), esc(v)));
        row("Nomor sertifikat", &c.number);
        row("Nama", &c.holder_name);
        row("NIP", &c.holder_nip);
        row("Jenis kepegawaian", &c.employment_type);
        row("Unit kerja (OPD)", &c.opd);
        row("Pelatihan", &format!("{} ({})", c.course_title, c.course_code));
        row("Versi materi", &c.course_version);
        row("Jam pelajaran", &format!("{} JP", c.jp));
        row("Tanggal selesai", &date(&c.completed_on, zone));
        row("Tanggal terbit", &date(&c.issued_at, zone));
        row("Waktu belajar terukur", &format!("{} menit", c.engaged_minutes));
        row("Nilai post-test", &c.post_test_score);
        row("Sidik bukti belajar", &c.evidence_digest);
        row("Penerbit", &c.issuer);
        if c.test_data {
            row("Catatan", "DATA UJI: diterbitkan dengan jam simulasi, tidak berlaku");
        }
    }
    format!(
        r#"<!doctype html>
<html lang="id">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verifikasi Sertifikat Penkom: {title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#222}}
.status{{border-radius:.5rem;padding:1rem 1.25rem;color:#fff;background:{colour}}}.status h1{{margin:0 0 .25rem}}
table{{border-collapse:collapse;width:100%;margin-top:1rem}}th,td{{text-align:left;padding:.4rem;border-bottom:1px solid #ddd;vertical-align:top}}
th{{width:40%;font-weight:600}}td{{word-break:break-all}}</style></head>
<body>
<div class="status"><h1>{title}</h1><p>{explanation}</p></div>
<table>
{rows}</table>
<p><small>Sertifikat Penkom ditandatangani secara elektronik (Ed25519). Dokumen elektroniknya dapat diperiksa di luar jaringan dengan kunci publik di <code>/.well-known/jwks.json</code>.</small></p>
</body></html>
"#,
        explanation = esc(&explanation)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_it_shows() {
        let page = render(
            "revoked",
            Some("<script>alert(1)</script>"),
            Some("2026-12-01T03:00:00Z"),
            None,
            &LocalZone::default(),
        );
        assert!(page.contains("DICABUT"));
        assert!(page.contains("&lt;script&gt;"));
        assert!(!page.contains("<script>"));
        assert!(page.contains("1 Desember 2026"));
    }

    #[test]
    fn shows_the_certificate_escaped_and_says_sah_only_for_real_credit() {
        let c = Summary {
            id: uuid::Uuid::nil(),
            number: "1/PENKOM/BKPSDM/2026".into(),
            code: "ABCDEFGHJK5".into(),
            holder_name: "Budi <b>Jaya</b>".into(),
            holder_nip: "198503********1001".into(),
            employment_type: "PNS".into(),
            opd: "Dinas \"Kominfo\"".into(),
            course_code: "EPP-01".into(),
            course_title: "Etika & Pelayanan".into(),
            course_version: "2".into(),
            content_hash: "ab".into(),
            jp: "2".into(),
            completed_on: "2026-12-31".into(),
            issued_at: "2026-12-31T16:30:00Z".into(),
            post_test_score: "85".into(),
            engaged_minutes: 95,
            evidence_digest: "sha256:cd".into(),
            issuer: "BKPSDM".into(),
            verify_url: "http://penkom.test/v/ABCDEFGHJK5".into(),
            revoked_at: None,
            revocation_reason: None,
            test_data: false,
            altered: false,
        };
        let page = render("valid", None, None, Some(&c), &LocalZone::default());
        assert!(page.contains("<h1>SAH</h1>"));
        assert!(page.contains("Budi &lt;b&gt;Jaya&lt;/b&gt;") && page.contains("Etika &amp; Pelayanan"));
        assert!(page.contains("Dinas &quot;Kominfo&quot;") && page.contains("<td>2 JP</td>"));
        // 16:30 UTC on 31 December is 00:30 on 1 January in WITA.
        assert!(page.contains("31 Desember 2026") && page.contains("1 Januari 2027"), "{page}");
        let test = render("valid", Some("test_data"), None, Some(&c), &LocalZone::default());
        assert!(test.contains("<h1>DATA UJI</h1>") && !test.contains("<h1>SAH</h1>"));
    }
}
