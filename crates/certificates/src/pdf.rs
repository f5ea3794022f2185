//! The printable certificate: one A4 landscape page in Bahasa Indonesia with a QR code to the
//! verification page.
//!
//! The page is drawn from the signed credential itself, so the paper cannot say anything the
//! credential does not. It uses the PDF standard fonts (Helvetica), which every PDF reader
//! has, so no font file is embedded and the file stays a few kilobytes. The QR code is drawn as
//! filled squares, one per dark module, so it stays sharp at any print size.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, Stream, dictionary};
use penkom_core::LocalZone;
use serde_json::Value;

use crate::credential::{mask_nip, text};

pub(crate) const WIDTH: f32 = 842.0;
pub(crate) const HEIGHT: f32 = 595.0;
/// Side of the QR code on the page, in points (about 4 cm).
pub const QR_SIDE: f32 = 112.0;
/// Where the QR code's lower-left corner is.
pub const QR_ORIGIN: (f32, f32) = (64.0, 56.0);

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the verification URL does not fit in a QR code")]
    Qr,
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// `2 November 2026`.
pub fn indonesian_date(d: NaiveDate) -> String {
    format!("{} {} {}", d.day(), MONTHS[d.month0() as usize], d.year())
}

/// A number in Indonesian words, as certificates write JP: `20` → `dua puluh`, `1.5` → `satu
/// koma lima`.
pub fn terbilang(decimal: &str) -> String {
    let (whole, frac) = decimal.split_once('.').unwrap_or((decimal, ""));
    let mut words = whole.parse::<u64>().map(words).unwrap_or_else(|_| decimal.to_string());
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        words.push_str(" koma");
        for d in frac.chars().filter_map(|c| c.to_digit(10)) {
            words.push(' ');
            words.push_str(&self::words(u64::from(d)));
        }
    }
    words
}

fn words(n: u64) -> String {
    const ONES: [&str; 12] = [
        "nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh",
        "sebelas",
    ];
    match n {
        0..=11 => ONES[n as usize].to_string(),
        12..=19 => format!("{} belas", ONES[(n - 10) as usize]),
        20..=99 => join(format!("{} puluh", ONES[(n / 10) as usize]), n % 10),
        100..=199 => join("seratus".into(), n - 100),
        200..=999 => join(format!("{} ratus", ONES[(n / 100) as usize]), n % 100),
        1000..=1999 => join("seribu".into(), n - 1000),
        _ => join(format!("{} ribu", words(n / 1000)), n % 1000),
    }
}

fn join(head: String, rest: u64) -> String {
    if rest == 0 { head } else { format!("{head} {}", words(rest)) }
}

/// Text as the standard fonts' WinAnsi bytes; characters outside Latin-1 become `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

/// Approximate width of `s` in Helvetica at `size` points, enough to centre a line.
fn text_width(s: &str, size: f32, bold: bool) -> f32 {
    let em: f32 = s
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' => 0.24,
            'f' | 't' | 'r' | 'I' | ' ' | '(' | ')' | '/' | '-' => 0.32,
            'm' | 'w' | 'M' | 'W' => 0.82,
            'A'..='Z' => 0.68,
            _ => 0.54,
        })
        .sum();
    em * size * if bold { 1.05 } else { 1.0 }
}

struct Page {
    ops: Vec<Operation>,
}

impl Page {
    fn text_at(&mut self, x: f32, y: f32, size: f32, bold: bool, s: &str) {
        let font = if bold { "F2" } else { "F1" };
        self.ops.push(Operation::new("BT", vec![]));
        self.ops.push(Operation::new("Tf", vec![font.into(), size.into()]));
        self.ops.push(Operation::new("Td", vec![x.into(), y.into()]));
        self.ops.push(Operation::new("Tj", vec![Object::string_literal(win_ansi(s))]));
        self.ops.push(Operation::new("ET", vec![]));
    }

    fn centred(&mut self, y: f32, size: f32, bold: bool, s: &str) {
        self.text_at((WIDTH - text_width(s, size, bold)) / 2.0, y, size, bold, s);
    }

    fn colour(&mut self, r: f32, g: f32, b: f32) {
        self.ops.push(Operation::new("rg", vec![r.into(), g.into(), b.into()]));
    }

    fn frame(&mut self, inset: f32, line: f32) {
        self.ops.push(Operation::new("w", vec![line.into()]));
        self.ops.push(Operation::new(
            "re",
            vec![inset.into(), inset.into(), (WIDTH - 2.0 * inset).into(), (HEIGHT - 2.0 * inset).into()],
        ));
        self.ops.push(Operation::new("S", vec![]));
    }

    /// The QR code: one filled square per dark module, in black, with the quiet zone left white.
    fn qr(&mut self, url: &str) -> Result<(), PdfError> {
        let code = crate::qr::matrix(url).map_err(|_| PdfError::Qr)?;
        let n = code.width;
        let quiet = crate::qr::QUIET_ZONE as f32;
        let module = QR_SIDE / (n as f32 + 2.0 * quiet);
        let (x0, y0) = QR_ORIGIN;
        self.colour(0.0, 0.0, 0.0);
        for (i, _) in code.dark.iter().enumerate().filter(|(_, d)| **d) {
            let (col, row) = ((i % n) as f32, (i / n) as f32);
            // PDF's y axis points up; the QR code's first row is its top.
            let x = x0 + (col + quiet) * module;
            let y = y0 + QR_SIDE - (row + quiet + 1.0) * module;
            self.ops.push(Operation::new("re", vec![x.into(), y.into(), module.into(), module.into()]));
        }
        self.ops.push(Operation::new("f", vec![]));
        Ok(())
    }
}

/// Renders the certificate of `credential` (as issued) to PDF bytes.
pub fn render(credential: &Value, zone: &LocalZone) -> Result<Vec<u8>, PdfError> {
    let subject = |p: &str| text(credential, &format!("/credentialSubject{p}"));
    let issuer = |p: &str| text(credential, &format!("/issuer{p}"));
    let code = text(credential, "/verificationCode");
    let verify_url = text(credential, "/evidence/0/id");
    let jp = subject("/jp");
    let completed_on = NaiveDate::parse_from_str(subject("/completedOn"), "%Y-%m-%d").ok();
    let issued_on = DateTime::parse_from_rfc3339(text(credential, "/validFrom"))
        .ok()
        .map(|t| zone.to_local(t.with_timezone(&Utc)).date_naive());

    let mut p = Page { ops: Vec::new() };
    p.colour(0.10, 0.23, 0.45);
    p.frame(18.0, 3.0);
    p.frame(26.0, 0.8);
    if credential.get("testData").and_then(Value::as_bool) == Some(true) {
        p.colour(0.8, 0.0, 0.0);
        p.centred(548.0, 14.0, true, "DATA UJI - TIDAK BERLAKU SEBAGAI SERTIFIKAT");
    }
    p.colour(0.10, 0.23, 0.45);
    p.centred(515.0, 16.0, true, &issuer("/name").to_uppercase());
    p.centred(462.0, 38.0, true, "SERTIFIKAT");
    p.colour(0.1, 0.1, 0.1);
    p.centred(438.0, 12.0, false, &format!("Nomor: {}", text(credential, "/certificateNumber")));
    p.centred(410.0, 12.0, false, "Diberikan kepada:");
    p.centred(380.0, 22.0, true, subject("/name"));
    let who = [
        format!("NIP {}", subject("/nip")),
        subject("/employmentType").to_string(),
        subject("/opd").to_string(),
    ];
    let who: Vec<&str> = who.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    p.centred(360.0, 11.0, false, &who.join("  |  "));
    p.centred(332.0, 12.0, false, "yang telah menyelesaikan pelatihan e-learning");
    p.centred(306.0, 18.0, true, subject("/achievement/name"));
    p.centred(
        284.0,
        12.0,
        false,
        &format!(
            "(kode {}, versi {}) yang meliputi {} ({}) jam pelajaran",
            subject("/achievement/humanCode"),
            subject("/achievement/version"),
            jp,
            terbilang(jp)
        ),
    );
    let score = subject("/result/0/value");
    let minutes = credential.pointer("/evidence/0/engagedMinutes").and_then(Value::as_i64).unwrap_or(0);
    let done = completed_on.map(indonesian_date).unwrap_or_default();
    p.centred(
        262.0,
        11.0,
        false,
        &format!("Nilai post-test {score}  |  Waktu belajar terukur {minutes} menit  |  Selesai {done}"),
    );

    // The signature block, right.
    let place_date = format!(
        "{}, {}",
        issuer("/address/addressLocality"),
        issued_on.map(indonesian_date).unwrap_or_default()
    );
    for (i, (line, size, bold)) in [
        (place_date.as_str(), 11.0, false),
        (issuer("/officialPosition"), 11.0, false),
        (issuer("/official"), 12.0, true),
    ]
    .into_iter()
    .enumerate()
    {
        let y = if i == 2 { 118.0 } else { 200.0 - 16.0 * i as f32 };
        p.text_at(540.0, y, size, bold, line);
    }
    p.text_at(540.0, 102.0, 11.0, false, &format!("NIP {}", issuer("/officialNip")));

    // Verification, left: the QR code and what to type without a camera.
    p.qr(verify_url)?;
    p.colour(0.1, 0.1, 0.1);
    p.text_at(190.0, 140.0, 10.0, true, "Verifikasi keaslian sertifikat ini:");
    p.text_at(190.0, 126.0, 10.0, false, verify_url);
    p.text_at(190.0, 112.0, 10.0, false, &format!("Kode verifikasi: {code}"));
    p.text_at(190.0, 98.0, 10.0, false, &format!("Pemegang: {}", mask_nip(subject("/nip"))));
    p.text_at(
        64.0,
        38.0,
        7.0,
        false,
        &format!(
            "Ditandatangani secara elektronik (Ed25519, eddsa-jcs-2022) oleh {}; bukan TTE tersertifikasi BSrE. Bukti: {}",
            issuer("/id"),
            text(credential, "/evidence/0/evidenceDigest")
        ),
    );
    document(p.ops, text(credential, "/name"))
}

fn document(ops: Vec<Operation>, title: &str) -> Result<Vec<u8>, PdfError> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = |name: &str| {
        dictionary! { "Type" => "Font", "Subtype" => "Type1", "BaseFont" => name.to_string(), "Encoding" => "WinAnsiEncoding" }
    };
    let regular = doc.add_object(font("Helvetica"));
    let bold = doc.add_object(font("Helvetica-Bold"));
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => regular, "F2" => bold } });
    let content = Content { operations: ops }.encode().map_err(|e| PdfError::Write(e.to_string()))?;
    let mut stream = Stream::new(Dictionary::new(), content);
    // Compression only fails for an already-compressed stream, which this is not.
    let _ = stream.compress();
    let content_id = doc.add_object(stream);
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), WIDTH.into(), HEIGHT.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    let info = doc.add_object(dictionary! {
        "Title" => Object::string_literal(win_ansi(title)),
        "Producer" => Object::string_literal("Penkom"),
    });
    doc.trailer.set("Root", catalog);
    doc.trailer.set("Info", info);
    let mut out = Vec::new();
    doc.save_to(&mut out).map_err(|e| PdfError::Write(e.to_string()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{build, tests as fixtures};

    #[test]
    fn numbers_in_words() {
        assert_eq!(terbilang("2"), "dua");
        assert_eq!(terbilang("20"), "dua puluh");
        assert_eq!(terbilang("11"), "sebelas");
        assert_eq!(terbilang("15"), "lima belas");
        assert_eq!(terbilang("124"), "seratus dua puluh empat");
        assert_eq!(terbilang("1.5"), "satu koma lima");
        assert_eq!(terbilang("2.50"), "dua koma lima");
        assert_eq!(indonesian_date(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()), "31 Desember 2026");
    }

    #[test]
    fn the_pdf_parses_and_its_qr_code_reads_back_as_the_verification_url() {
        let credential = build(&fixtures::facts(), &fixtures::issuer());
        let bytes = render(&credential, &LocalZone::default()).unwrap();
        assert!(bytes.starts_with(b"%PDF-1.7"));
        let page = crate::inspect::read(&bytes).unwrap();
        for expected in
            ["SERTIFIKAT", "Siti Rahmawati", "1/PENKOM/BKPSDM/2026", "dua) jam pelajaran", "2 November 2026"]
        {
            assert!(page.text.contains(expected), "{expected} missing");
        }
        assert_eq!(page.qr_codes, ["http://penkom.test/v/ABCDEFGHJK5"]);
    }
}
