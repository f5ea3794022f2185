//! Numbers, durations, dates and reasons as an Indonesian reader expects them.

use chrono::{DateTime, Utc};
use penkom_core::LocalZone;

/// A duration in whole seconds: `1 jam 5 menit`, `3 menit 20 detik`, `45 detik`. Hours drop the
/// seconds; a reader planning their study does not need them.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    match (h, m, sec) {
        (0, 0, sec) => format!("{sec} detik"),
        (0, m, 0) => format!("{m} menit"),
        (0, m, sec) => format!("{m} menit {sec} detik"),
        (h, 0, _) => format!("{h} jam"),
        (h, m, _) => format!("{h} jam {m} menit"),
    }
}

/// A number of minutes: `2 jam 15 menit`.
pub fn minutes(m: i64) -> String {
    duration(m * 60)
}

/// The local date of `t`: `2 Desember 2026`.
pub fn date(t: DateTime<Utc>, zone: &LocalZone) -> String {
    certificates::pdf::indonesian_date(zone.to_local(t).date_naive())
}

/// The local date and time of `t`: `2 Desember 2026, 14.05 WITA` (Indonesian writes the time
/// with a point).
pub fn date_time(t: DateTime<Utc>, zone: &LocalZone) -> String {
    let local = zone.to_local(t);
    format!("{}, {} {}", date(t, zone), local.format("%H.%M"), local.format("%Z"))
}

/// A `YYYY-MM-DD` date as `2 Desember 2026` (the text stays as it is if it is not one).
pub fn iso_date(s: &str) -> String {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(certificates::pdf::indonesian_date)
        .unwrap_or_else(|_| s.to_string())
}

/// An RFC 3339 time as a local date and time.
pub fn rfc3339(s: &str, zone: &LocalZone) -> String {
    DateTime::parse_from_rfc3339(s).map(|t| date_time(t.to_utc(), zone)).unwrap_or_else(|_| s.to_string())
}

/// A topic slug (`literasi-digital`) as a label (`Literasi digital`).
pub fn topic(slug: &str) -> String {
    let words = slug.replace(['-', '_'], " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Why study time was not credited, in words a learner understands.
pub fn rejection(code: &str) -> &'static str {
    match code {
        "not_visible" => {
            "halaman belajar tidak tampil di layar (tab lain, aplikasi lain, atau layar terkunci)"
        }
        "inactive" => {
            "tidak ada interaksi (menggulir, mengetik, menyentuh, atau memutar video) sejak detak sebelumnya"
        }
        "idle_gap" => "jeda tanpa detak terlalu lama, misalnya koneksi putus atau perangkat tertidur",
        "over_beat_cap" => {
            "detak datang terlambat; hanya sebagian waktu sejak detak sebelumnya yang dihitung"
        }
        "daily_cap" => "batas waktu belajar harian sudah tercapai",
        _ => "alasan lain",
    }
}

/// How a study session ended.
pub fn end_reason(code: Option<&str>) -> &'static str {
    match code {
        None => "sedang berlangsung",
        Some("ended") => "diakhiri",
        Some("superseded") => "digantikan oleh tab atau perangkat lain",
        Some(_) => "berakhir",
    }
}

/// The kind of a JP ledger entry.
pub fn entry_kind(kind: &str) -> &'static str {
    match kind {
        "certificate" => "Sertifikat Penkom",
        "certificate_reversal" => "Pencabutan sertifikat",
        "external" => "Pelatihan di luar Penkom",
        "external_reversal" => "Pembatalan pelatihan luar",
        _ => "Lainnya",
    }
}

/// A JP amount as decimal text, with the Indonesian decimal comma: `2,5`.
pub fn jp(text: &str) -> String {
    text.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(0), "0 detik");
        assert_eq!(duration(45), "45 detik");
        assert_eq!(duration(600), "10 menit");
        assert_eq!(duration(200), "3 menit 20 detik");
        assert_eq!(duration(3600), "1 jam");
        assert_eq!(duration(3905), "1 jam 5 menit");
        assert_eq!(duration(-5), "0 detik");
        assert_eq!(minutes(135), "2 jam 15 menit");
    }

    #[test]
    fn dates_are_local_and_indonesian() {
        let zone = LocalZone::default();
        // 16:30 UTC on 31 December is 00:30 on 1 January in WITA.
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 16, 30, 0).unwrap();
        assert_eq!(date(t, &zone), "1 Januari 2027");
        assert_eq!(date_time(t, &zone), "1 Januari 2027, 00.30 WITA");
        assert_eq!(iso_date("2026-12-02"), "2 Desember 2026");
        assert_eq!(rfc3339("2026-12-02T06:00:00Z", &zone), "2 Desember 2026, 14.00 WITA");
    }

    #[test]
    fn labels() {
        assert_eq!(topic("literasi-digital"), "Literasi digital");
        assert_eq!(jp("2.5"), "2,5");
        assert!(rejection("not_visible").contains("tidak tampil"));
        assert_eq!(end_reason(Some("superseded")), "digantikan oleh tab atau perangkat lain");
    }
}
