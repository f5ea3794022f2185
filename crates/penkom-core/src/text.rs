//! What free text may hold: names, titles, reasons, module bodies, anything a person types.
//!
//! Refused everywhere: control characters (NUL among them, which PostgreSQL cannot store at all),
//! and the bidirectional embedding, override and isolate marks (U+202A–U+202E, U+2066–U+2069),
//! which make text display in an order other than the one stored: a revocation reason or a
//! certificate holder's name could then read as something else on the public page and in signed
//! documents. Line and paragraph separators (U+2028, U+2029) are refused with them: they break
//! lines where nobody typed one. Multi-line text (a description, a module body) may also hold
//! line feeds, carriage returns and tabs.

/// Whether `c` may appear in single-line free text.
pub fn allowed(c: char) -> bool {
    !(c.is_control()
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}'))
}

/// Whether `c` may appear in multi-line free text.
pub fn allowed_multiline(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t') || allowed(c)
}

/// Whether `s` is fit to be single-line free text.
pub fn is_single_line(s: &str) -> bool {
    s.chars().all(allowed)
}

/// Whether `s` is fit to be multi-line free text.
pub fn is_multiline(s: &str) -> bool {
    s.chars().all(allowed_multiline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_controls_and_direction_overrides() {
        assert!(is_single_line("Dicabut: salah input (NIP 1985…) — ulang"));
        assert!(is_single_line("Kepemimpinan بالعربية"), "right-to-left letters themselves are fine");
        for bad in [
            "a\u{0}b",
            "a\u{7}b",
            "a\u{85}b",
            "abc\u{202E}fed",
            "x\u{2066}y\u{2069}",
            "a\u{2028}b",
            "a\nb",
            "a\tb",
        ] {
            assert!(!is_single_line(bad), "{bad:?}");
        }
        assert!(is_multiline("Paragraf satu.\r\n\r\n\tParagraf dua."));
        assert!(!is_multiline("teks\u{0}"));
        assert!(!is_multiline("teks \u{202D}terbalik"));
    }
}
