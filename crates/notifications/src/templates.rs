//! The texts of Penkom's e-mails, in Bahasa Indonesia, each as plain text and HTML.

use penkom_core::html::escape;

/// A message's subject and bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn html(paragraphs: &[String]) -> String {
    let body: String =
        paragraphs.iter().map(|p| format!("<p>{}</p>\n", escape(p).replace('\n', "<br>"))).collect();
    format!(
        "<!doctype html>\n<html lang=\"id\"><body style=\"font-family:sans-serif\">\n{body}</body></html>\n"
    )
}

fn compose(subject: String, paragraphs: Vec<String>) -> Text {
    Text { subject, text: paragraphs.join("\n\n") + "\n", html: html(&paragraphs) }
}

/// A certificate was issued; the PDF is attached.
pub fn certificate_issued(
    name: &str,
    course: &str,
    jp: &str,
    number: &str,
    verify_url: &str,
    issuer: &str,
) -> Text {
    compose(
        format!("Sertifikat terbit: {course}"),
        vec![
            format!("Yth. {name},"),
            format!(
                "Selamat, Anda telah menyelesaikan pelatihan {course} ({jp} JP). Sertifikat Anda nomor {number} telah terbit dan terlampir dalam surel ini."
            ),
            format!("Keaslian sertifikat dapat diperiksa siapa saja di {verify_url}"),
            format!("Salam,\n{issuer}"),
        ],
    )
}

/// A certificate was revoked.
pub fn certificate_revoked(name: &str, course: &str, number: &str, reason: &str, issuer: &str) -> Text {
    compose(
        format!("Sertifikat dicabut: {course}"),
        vec![
            format!("Yth. {name},"),
            format!("Sertifikat Anda nomor {number} untuk pelatihan {course} telah dicabut."),
            format!("Alasan: {reason}"),
            "JP dari sertifikat ini tidak lagi dihitung dalam capaian tahunan Anda. Bila ada pertanyaan, silakan hubungi BKPSDM.".into(),
            format!("Salam,\n{issuer}"),
        ],
    )
}

/// The yearly reminder to someone short of their target.
pub fn reminder(
    name: &str,
    year: i32,
    credited: &str,
    target: &str,
    missing: &str,
    url: &str,
    issuer: &str,
) -> Text {
    compose(
        format!("Pengingat JP {year}: masih kurang {missing} JP"),
        vec![
            format!("Yth. {name},"),
            format!(
                "Hingga hari ini capaian pengembangan kompetensi Anda tahun {year} tercatat {credited} JP dari target {target} JP. Anda masih kurang {missing} JP."
            ),
            format!("Pelatihan e-learning yang tersedia dapat diikuti di {url}"),
            format!("Salam,\n{issuer}"),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_carry_the_facts_and_html_is_escaped() {
        let t = certificate_issued(
            "Budi <b>",
            "Etika & Pelayanan",
            "2",
            "1/PENKOM/BKPSDM/2026",
            "http://x/v/ABC",
            "BKPSDM",
        );
        assert!(
            t.text.contains("Budi <b>") && t.text.contains("(2 JP)") && t.text.contains("http://x/v/ABC")
        );
        assert!(t.html.contains("Budi &lt;b&gt;") && t.html.contains("Etika &amp; Pelayanan"));
        let r = reminder("Siti", 2026, "12", "20", "8", "http://x", "BKPSDM");
        assert_eq!(r.subject, "Pengingat JP 2026: masih kurang 8 JP");
    }
}
