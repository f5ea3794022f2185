//! The rules a version must meet before it is published, as pure functions.
//!
//! The same rules serve content files (where each problem is then located to a file and line)
//! and the instructor API (where problems become a 422 answer).

use rust_decimal::Decimal;

use crate::model::{QuestionKind, VersionSpec, is_valid_key};

/// Where in a version a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Locator {
    /// A course-level field, e.g. `jp`.
    Course(&'static str),
    /// A module, by key.
    Module(String),
    /// A question, by key.
    Question(String),
}

/// One rule a version breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub at: Locator,
    pub reason: String,
}

/// The shortfall when required study time is below JP × minutes-per-JP, in minutes (exact:
/// 1.5 JP at 45 minutes is 67.5 minutes).
pub fn jp_shortfall_minutes(spec: &VersionSpec, minutes_per_jp: u32) -> Option<Decimal> {
    let needed = spec.meta.jp.minutes(minutes_per_jp);
    let have = Decimal::from(spec.required_minutes());
    (have < needed).then(|| needed - have)
}

fn v(at: Locator, reason: impl Into<String>) -> Violation {
    Violation { at, reason: reason.into() }
}

/// Upper bounds that keep every number and text far inside what the database stores and what a
/// person could mean. Checked on every draft edit as well as before publishing.
pub mod limits {
    pub const MAX_MODULES: usize = 100;
    pub const MAX_QUESTIONS: usize = 1_000;
    pub const MAX_ORDER: u32 = 10_000;
    pub const MAX_MODULE_MINUTES: u32 = 10_000;
    pub const MAX_VIDEO_MINUTES: u32 = 10_000;
    pub const MAX_TIME_LIMIT_MINUTES: u32 = 24 * 60;
    pub const MAX_ATTEMPTS: u32 = 100;
    pub const MAX_WAIT_MINUTES: u32 = 7 * 24 * 60;
    pub const MAX_TITLE: usize = 200;
    pub const MAX_DESCRIPTION: usize = 20_000;
    pub const MAX_TOPIC: usize = 64;
    pub const MAX_PASS_MARK: u32 = 100;
    pub const MAX_QUESTION_TEXT: usize = 4_000;
    pub const MAX_OPTION_TEXT: usize = 1_000;
    pub const MAX_EXPLANATION: usize = 8_000;
    pub const MAX_URL: usize = 2_000;
    /// Characters of a module's Markdown.
    pub const MAX_BODY: usize = 512 * 1024;
}

/// The rules a draft must meet at every edit: bounds on counts, numbers and text sizes.
pub fn bounds_violations(spec: &VersionSpec) -> Vec<Violation> {
    use limits::*;
    let mut out = Vec::new();
    let pt = &spec.meta.post_test;
    let too_big = |what: &str, max: u64| format!("{what} paling besar {max}");
    for (field, value, max) in [
        ("time_limit_minutes", pt.time_limit_minutes, MAX_TIME_LIMIT_MINUTES),
        ("attempt_limit", pt.attempt_limit, MAX_ATTEMPTS),
        ("wait_minutes_between_attempts", pt.wait_minutes_between_attempts, MAX_WAIT_MINUTES),
        ("questions_per_attempt", pt.questions_per_attempt, MAX_QUESTIONS as u32),
        ("pass_mark", pt.pass_mark, MAX_PASS_MARK),
    ] {
        if value > max {
            out.push(v(Locator::Course(field), too_big(field, u64::from(max))));
        }
    }
    let m = &spec.meta;
    for (field, value, max) in [
        ("title", &m.title, MAX_TITLE),
        ("description", &m.description, MAX_DESCRIPTION),
        ("topic", &m.topic, MAX_TOPIC),
        ("organiser", &m.organiser, MAX_TITLE),
    ] {
        if value.chars().count() > max {
            out.push(v(Locator::Course(field), format!("{field} paling banyak {max} karakter")));
        }
    }
    if spec.modules.len() > MAX_MODULES {
        out.push(v(Locator::Course("modules"), format!("paling banyak {MAX_MODULES} modul")));
    }
    if spec.questions.len() > MAX_QUESTIONS {
        out.push(v(Locator::Course("questions"), format!("paling banyak {MAX_QUESTIONS} pertanyaan")));
    }
    for m in &spec.modules {
        let at = || Locator::Module(m.key.clone());
        if m.order > MAX_ORDER {
            out.push(v(at(), too_big("urutan", u64::from(MAX_ORDER))));
        }
        if m.min_engaged_minutes > MAX_MODULE_MINUTES {
            out.push(v(at(), too_big("waktu belajar minimum (menit)", u64::from(MAX_MODULE_MINUTES))));
        }
        if m.title.chars().count() > MAX_TITLE {
            out.push(v(at(), format!("judul modul paling banyak {MAX_TITLE} karakter")));
        }
        if m.body_markdown.chars().count() > MAX_BODY {
            out.push(v(at(), format!("isi modul paling banyak {MAX_BODY} karakter")));
        }
        if let Some(video) = &m.video {
            if video.duration_minutes > MAX_VIDEO_MINUTES {
                out.push(v(at(), too_big("durasi video (menit)", u64::from(MAX_VIDEO_MINUTES))));
            }
            if video.url.chars().count() > MAX_URL {
                out.push(v(at(), format!("alamat video paling banyak {MAX_URL} karakter")));
            }
        }
    }
    for q in &spec.questions {
        let at = || Locator::Question(q.key.clone());
        if q.text.chars().count() > MAX_QUESTION_TEXT {
            out.push(v(
                at(),
                format!("pertanyaan {}: teks paling banyak {MAX_QUESTION_TEXT} karakter", q.key),
            ));
        }
        if q.explanation.as_ref().is_some_and(|e| e.chars().count() > MAX_EXPLANATION) {
            out.push(v(
                at(),
                format!("pertanyaan {}: penjelasan paling banyak {MAX_EXPLANATION} karakter", q.key),
            ));
        }
        if q.options.len() > 8 || q.options.iter().any(|o| o.text.chars().count() > MAX_OPTION_TEXT) {
            out.push(v(
                at(),
                format!(
                    "pertanyaan {}: paling banyak 8 pilihan, masing-masing {MAX_OPTION_TEXT} karakter",
                    q.key
                ),
            ));
        }
    }
    out.extend(text_violations(spec));
    out
}

/// Characters no text of a course may hold (see [`penkom_core::text`]): checked at every draft
/// edit, so that none reaches the database, a learner's page or a signed certificate.
fn text_violations(spec: &VersionSpec) -> Vec<Violation> {
    use penkom_core::text::{is_multiline, is_single_line};
    let bad =
        |what: &str| format!("{what} berisi karakter kendali atau penanda arah teks yang tidak diizinkan");
    let mut out = Vec::new();
    let m = &spec.meta;
    for (field, ok) in [
        ("title", is_single_line(&m.title)),
        ("description", is_multiline(&m.description)),
        ("topic", is_single_line(&m.topic)),
        ("organiser", is_single_line(&m.organiser)),
    ] {
        if !ok {
            out.push(v(Locator::Course(field), bad(field)));
        }
    }
    for module in &spec.modules {
        let at = || Locator::Module(module.key.clone());
        if !is_single_line(&module.title) {
            out.push(v(at(), bad("judul modul")));
        }
        if !is_multiline(&module.body_markdown) {
            out.push(v(at(), bad("isi modul")));
        }
        if module.video.as_ref().is_some_and(|video| !is_single_line(&video.url)) {
            out.push(v(at(), bad("alamat video")));
        }
    }
    for q in &spec.questions {
        let at = || Locator::Question(q.key.clone());
        let options_ok = q.options.iter().all(|o| is_single_line(&o.text));
        if !is_multiline(&q.text) || !options_ok || !q.explanation.as_deref().is_none_or(is_multiline) {
            out.push(v(at(), bad(&format!("pertanyaan {}", q.key))));
        }
    }
    out
}

/// Every rule the version breaks (empty when it can be published).
pub fn violations(spec: &VersionSpec, minutes_per_jp: u32) -> Vec<Violation> {
    let mut out = bounds_violations(spec);
    let m = &spec.meta;
    let pt = &m.post_test;
    // Lengths are bounds (above): checked at every edit, so a draft never holds too long a text.
    for (field, value) in [
        ("title", &m.title),
        ("description", &m.description),
        ("topic", &m.topic),
        ("organiser", &m.organiser),
    ] {
        if value.trim().is_empty() {
            out.push(v(Locator::Course(field), format!("{field} tidak boleh kosong")));
        }
    }
    let topic_ok = is_valid_key(&m.topic) && m.topic == m.topic.to_lowercase();
    if !m.topic.is_empty() && !topic_ok {
        out.push(v(Locator::Course("topic"), "topik harus slug huruf kecil, mis. etika-pelayanan-publik"));
    }
    if m.jp.value().is_zero() {
        out.push(v(Locator::Course("jp"), "nilai JP harus lebih dari 0"));
    }
    if pt.attempt_limit == 0 {
        out.push(v(Locator::Course("attempt_limit"), "batas percobaan minimal 1"));
    }
    if pt.time_limit_minutes == 0 {
        out.push(v(Locator::Course("time_limit_minutes"), "batas waktu post-test minimal 1 menit"));
    }
    if pt.questions_per_attempt == 0 {
        out.push(v(Locator::Course("questions_per_attempt"), "jumlah soal per percobaan minimal 1"));
    } else if pt.questions_per_attempt as usize > spec.questions.len() {
        out.push(v(
            Locator::Course("questions_per_attempt"),
            format!(
                "bank soal hanya berisi {} soal, kurang dari {} soal per percobaan",
                spec.questions.len(),
                pt.questions_per_attempt
            ),
        ));
    }

    if spec.modules.is_empty() {
        out.push(v(Locator::Course("modules"), "kursus harus punya minimal satu modul"));
    } else if !spec.modules.iter().any(|m| m.required) {
        out.push(v(Locator::Course("modules"), "kursus harus punya minimal satu modul wajib"));
    }
    let mut orders = std::collections::HashMap::new();
    let mut keys = std::collections::HashSet::new();
    for module in &spec.modules {
        let at = || Locator::Module(module.key.clone());
        if !is_valid_key(&module.key) {
            out.push(v(at(), format!("kunci modul \"{}\" tidak valid", module.key)));
        }
        if !keys.insert(module.key.as_str()) {
            out.push(v(at(), format!("kunci modul \"{}\" dipakai lebih dari sekali", module.key)));
        }
        if let Some(other) = orders.insert(module.order, module.key.as_str()) {
            out.push(v(at(), format!("urutan {} sudah dipakai modul {other}", module.order)));
        }
        if module.title.trim().is_empty() {
            out.push(v(at(), "judul modul tidak boleh kosong"));
        }
        if module.min_engaged_minutes == 0 {
            out.push(v(at(), "waktu belajar minimum harus minimal 1 menit"));
        }
        if module.body_markdown.trim().is_empty() {
            out.push(v(at(), "isi modul tidak boleh kosong"));
        }
        if let Some(video) = &module.video {
            if !(video.url.starts_with("https://") || video.url.starts_with("http://")) {
                out.push(v(at(), "alamat video harus diawali http:// atau https://"));
            }
            if video.duration_minutes == 0 {
                out.push(v(at(), "durasi video minimal 1 menit"));
            }
        }
    }

    let mut question_keys = std::collections::HashSet::new();
    for q in &spec.questions {
        let at = || Locator::Question(q.key.clone());
        if !is_valid_key(&q.key) {
            out.push(v(at(), format!("id pertanyaan \"{}\" tidak valid", q.key)));
        }
        if !question_keys.insert(q.key.as_str()) {
            out.push(v(at(), format!("id pertanyaan \"{}\" dipakai lebih dari sekali", q.key)));
        }
        if q.text.trim().is_empty() {
            out.push(v(at(), format!("pertanyaan {}: teks tidak boleh kosong", q.key)));
        }
        let correct = q.options.iter().filter(|o| o.correct).count();
        match q.kind {
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice => {
                if !(2..=8).contains(&q.options.len()) {
                    out.push(v(at(), format!("pertanyaan {}: harus punya 2–8 pilihan", q.key)));
                }
                let mut texts = std::collections::HashSet::new();
                for o in &q.options {
                    if o.text.trim().is_empty() {
                        out.push(v(at(), format!("pertanyaan {}: teks pilihan tidak boleh kosong", q.key)));
                    } else if !texts.insert(o.text.trim()) {
                        out.push(v(
                            at(),
                            format!("pertanyaan {}: pilihan \"{}\" muncul dua kali", q.key, o.text.trim()),
                        ));
                    }
                }
                if q.kind == QuestionKind::SingleChoice && correct != 1 {
                    out.push(v(
                        at(),
                        format!("pertanyaan {}: pilihan tunggal harus punya tepat satu jawaban benar (ada {correct})", q.key),
                    ));
                }
                if q.kind == QuestionKind::MultipleChoice && correct == 0 {
                    out.push(v(at(), format!("pertanyaan {}: tidak ada pilihan yang benar", q.key)));
                }
            }
            QuestionKind::TrueFalse => {
                if q.options.len() != 2 || correct != 1 {
                    out.push(v(
                        at(),
                        format!("pertanyaan {}: benar/salah harus punya tepat satu jawaban", q.key),
                    ));
                }
            }
        }
    }

    if let Some(short) = jp_shortfall_minutes(spec, minutes_per_jp) {
        out.push(v(
            Locator::Course("jp"),
            format!(
                "waktu belajar modul wajib {} menit, kurang {} menit dari {} JP × {} menit",
                spec.required_minutes(),
                short.normalize(),
                spec.meta.jp,
                minutes_per_jp
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::spec;
    use penkom_core::Jp;

    #[test]
    fn a_valid_spec_has_no_violations() {
        assert_eq!(violations(&spec(), 45), vec![]);
    }

    #[test]
    fn control_and_direction_characters_are_refused_at_every_edit() {
        let mut s = spec();
        assert!(bounds_violations(&s).is_empty());
        s.meta.title = "Etika\u{0}Pelayanan".into();
        s.modules[0].body_markdown = "Isi \u{202E}terbalik".into();
        s.meta.description = "Paragraf satu.\n\nParagraf dua.".into();
        let found = bounds_violations(&s);
        assert!(found.iter().any(|x| x.at == Locator::Course("title")), "{found:?}");
        assert!(found.iter().any(|x| matches!(&x.at, Locator::Module(_))), "{found:?}");
        assert!(
            !found.iter().any(|x| x.at == Locator::Course("description")),
            "line breaks are fine in a description"
        );
    }

    #[test]
    fn jp_rule_names_the_exact_shortfall() {
        let mut s = spec();
        s.meta.jp = Jp::parse("1.5").unwrap(); // 67.5 minutes needed, 50 present
        assert_eq!(jp_shortfall_minutes(&s, 45), Some(Decimal::new(175, 1)));
        let found = violations(&s, 45);
        assert!(
            found.iter().any(|x| x.at == Locator::Course("jp") && x.reason.contains("17.5")),
            "{found:?}"
        );
        // Optional modules do not count.
        s.meta.jp = Jp::parse("1").unwrap();
        s.modules[1].required = false;
        assert_eq!(jp_shortfall_minutes(&s, 45), Some(Decimal::from(20)));
        // Minutes per JP is policy.
        assert_eq!(jp_shortfall_minutes(&s, 25), None);
    }

    #[test]
    fn question_rules() {
        let mut s = spec();
        s.questions[0].options[1].correct = true; // two correct on single choice
        s.questions[2].options.iter_mut().for_each(|o| o.correct = false); // none on multiple
        s.questions.push(s.questions[1].clone()); // duplicate key
        let found = violations(&s, 45);
        assert!(
            found.iter().any(|x| x.at == Locator::Question("q1".into()) && x.reason.contains("tepat satu"))
        );
        assert!(
            found.iter().any(|x| x.at == Locator::Question("q3".into()) && x.reason.contains("tidak ada"))
        );
        assert!(found.iter().any(|x| x.reason.contains("lebih dari sekali")));
    }

    #[test]
    fn bank_must_hold_an_attempt() {
        let mut s = spec();
        s.meta.post_test.questions_per_attempt = 4;
        assert!(violations(&s, 45).iter().any(|x| x.at == Locator::Course("questions_per_attempt")));
    }

    #[test]
    fn huge_numbers_are_refused_without_overflow() {
        let mut s = spec();
        s.modules[0].min_engaged_minutes = u32::MAX;
        s.modules[1].min_engaged_minutes = u32::MAX;
        s.modules[1].order = u32::MAX;
        let found = violations(&s, 45);
        assert!(found.iter().any(|x| x.reason.contains("waktu belajar minimum")));
        assert!(found.iter().any(|x| x.reason.contains("urutan")));
        assert_eq!(s.required_minutes(), 2 * u64::from(u32::MAX));
    }

    #[test]
    fn module_rules() {
        let mut s = spec();
        s.modules[1].order = 1;
        s.modules[0].min_engaged_minutes = 0;
        let found = violations(&s, 45);
        assert!(found.iter().any(|x| x.reason.contains("urutan 1")));
        assert!(found.iter().any(|x| x.reason.contains("minimal 1 menit")));
    }
}
