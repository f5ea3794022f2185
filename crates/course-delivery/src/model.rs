//! The content of one course version, independent of where it came from (files or the
//! instructor API), and its content hash.

use std::fmt;

use penkom_core::Jp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A course code such as `EPP-01`: the stable identity of a course across versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CourseCode(String);

impl CourseCode {
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim().to_ascii_uppercase();
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(s))
        } else {
            Err(format!(
                "kode kursus hanya boleh huruf, angka, '-', '_' atau '.' (1–32 karakter): \"{}\"",
                input.trim()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CourseCode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<CourseCode> for String {
    fn from(c: CourseCode) -> String {
        c.0
    }
}

impl fmt::Display for CourseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a key (module file stem, question id, topic) has the allowed shape: lower- or
/// upper-case ASCII letters, digits, `-` and `_`, 1–64 characters.
pub fn is_valid_key(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
}

/// How multiple-choice questions are scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Scoring {
    /// Full credit only when exactly the correct options are chosen.
    #[default]
    AllOrNothing,
    /// Credit per option: correct choices add, wrong choices subtract, never below zero.
    Partial,
}

impl Scoring {
    pub fn as_str(self) -> &'static str {
        match self {
            Scoring::AllOrNothing => "all_or_nothing",
            Scoring::Partial => "partial",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "all_or_nothing" => Some(Scoring::AllOrNothing),
            "partial" => Some(Scoring::Partial),
            _ => None,
        }
    }
}

/// Post-test settings of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostTest {
    pub pass_mark: u32,
    pub attempt_limit: u32,
    pub time_limit_minutes: u32,
    pub questions_per_attempt: u32,
    pub wait_minutes_between_attempts: u32,
    pub multiple_choice_scoring: Scoring,
    pub review_after_grading: bool,
}

/// A course's descriptive fields and JP value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseMeta {
    pub code: CourseCode,
    pub title: String,
    pub description: String,
    pub topic: String,
    pub organiser: String,
    pub jp: Jp,
    pub post_test: PostTest,
}

/// An embedded video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Video {
    pub url: String,
    pub duration_minutes: u32,
}

/// One module of a version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleSpec {
    /// Stable across versions: the file stem for file content.
    pub key: String,
    pub title: String,
    pub order: u32,
    pub min_engaged_minutes: u32,
    pub required: bool,
    pub body_markdown: String,
    pub video: Option<Video>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionKind {
    SingleChoice,
    MultipleChoice,
    TrueFalse,
}

impl QuestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionKind::SingleChoice => "single_choice",
            QuestionKind::MultipleChoice => "multiple_choice",
            QuestionKind::TrueFalse => "true_false",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "single_choice" => Some(QuestionKind::SingleChoice),
            "multiple_choice" => Some(QuestionKind::MultipleChoice),
            "true_false" => Some(QuestionKind::TrueFalse),
            _ => None,
        }
    }
}

/// An answer option. Its id is its 1-based position, as text, which is stable within a
/// version (a changed option list is a new version).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerOption {
    pub id: String,
    pub text: String,
    pub correct: bool,
}

/// A post-test question. True/false questions are stored as two options, "Benar" and "Salah",
/// so every question is graded the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionSpec {
    pub key: String,
    pub kind: QuestionKind,
    pub text: String,
    pub explanation: Option<String>,
    pub options: Vec<AnswerOption>,
}

/// The answer part of a question as an author writes it. Each kind has its own shape, so a
/// true/false question with options, or a choice question with a single right answer instead,
/// cannot be expressed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthoredAnswers {
    SingleChoice(Vec<(String, bool)>),
    MultipleChoice(Vec<(String, bool)>),
    TrueFalse(bool),
}

impl QuestionSpec {
    /// A question as an author wrote it, with the spaces around every text removed and an empty
    /// explanation dropped.
    pub fn authored(key: String, text: &str, explanation: Option<&str>, answers: AuthoredAnswers) -> Self {
        let trimmed = |options: Vec<(String, bool)>| {
            Self::numbered(options.into_iter().map(|(t, correct)| (t.trim().to_string(), correct)))
        };
        let (kind, options) = match answers {
            AuthoredAnswers::SingleChoice(o) => (QuestionKind::SingleChoice, trimmed(o)),
            AuthoredAnswers::MultipleChoice(o) => (QuestionKind::MultipleChoice, trimmed(o)),
            AuthoredAnswers::TrueFalse(answer) => (QuestionKind::TrueFalse, Self::true_false_options(answer)),
        };
        Self {
            key,
            kind,
            text: text.trim().to_string(),
            explanation: explanation.map(str::trim).filter(|e| !e.is_empty()).map(str::to_string),
            options,
        }
    }

    /// The two options of a true/false question.
    pub fn true_false_options(answer: bool) -> Vec<AnswerOption> {
        vec![
            AnswerOption { id: "1".into(), text: "Benar".into(), correct: answer },
            AnswerOption { id: "2".into(), text: "Salah".into(), correct: !answer },
        ]
    }

    /// Options from texts and correctness flags, numbered 1, 2, 3, …
    pub fn numbered(options: impl IntoIterator<Item = (String, bool)>) -> Vec<AnswerOption> {
        options
            .into_iter()
            .enumerate()
            .map(|(i, (text, correct))| AnswerOption { id: (i + 1).to_string(), text, correct })
            .collect()
    }
}

/// Everything a version consists of. Two versions with equal specs are the same content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionSpec {
    pub meta: CourseMeta,
    /// Sorted by `order`.
    pub modules: Vec<ModuleSpec>,
    /// In bank order.
    pub questions: Vec<QuestionSpec>,
}

impl VersionSpec {
    /// Sorts modules by order (then key), the canonical arrangement.
    pub fn normalize(&mut self) {
        self.modules.sort_by(|a, b| a.order.cmp(&b.order).then_with(|| a.key.cmp(&b.key)));
    }

    /// The SHA-256 (hex) of the RFC 8785 canonical JSON of this spec. Completions and
    /// certificates name it, so anyone holding the content can check what was studied.
    pub fn content_hash(&self) -> String {
        let mut normalized = self.clone();
        normalized.normalize();
        // Serialising plain structs of strings, integers and booleans cannot fail.
        let canonical = serde_json_canonicalizer::to_string(&normalized).unwrap_or_default();
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Minutes of required study (summed wide, so no count of modules can overflow it).
    pub fn required_minutes(&self) -> u64 {
        self.modules.iter().filter(|m| m.required).map(|m| u64::from(m.min_engaged_minutes)).sum()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// A small valid spec for tests: 1 JP, two required modules of 25 minutes, 3 questions.
    pub fn spec() -> VersionSpec {
        VersionSpec {
            meta: CourseMeta {
                code: CourseCode::parse("TST-01").unwrap(),
                title: "Kursus Uji".into(),
                description: "Deskripsi".into(),
                topic: "uji".into(),
                organiser: "BKPSDM".into(),
                jp: Jp::parse("1").unwrap(),
                post_test: PostTest {
                    pass_mark: 70,
                    attempt_limit: 3,
                    time_limit_minutes: 10,
                    questions_per_attempt: 2,
                    wait_minutes_between_attempts: 0,
                    multiple_choice_scoring: Scoring::AllOrNothing,
                    review_after_grading: true,
                },
            },
            modules: vec![
                ModuleSpec {
                    key: "01-a".into(),
                    title: "Modul A".into(),
                    order: 1,
                    min_engaged_minutes: 25,
                    required: true,
                    body_markdown: "# A".into(),
                    video: None,
                },
                ModuleSpec {
                    key: "02-b".into(),
                    title: "Modul B".into(),
                    order: 2,
                    min_engaged_minutes: 25,
                    required: true,
                    body_markdown: "# B".into(),
                    video: None,
                },
            ],
            questions: vec![
                QuestionSpec {
                    key: "q1".into(),
                    kind: QuestionKind::SingleChoice,
                    text: "Satu?".into(),
                    explanation: Some("Karena satu.".into()),
                    options: QuestionSpec::numbered([("Ya".to_string(), true), ("Tidak".to_string(), false)]),
                },
                QuestionSpec {
                    key: "q2".into(),
                    kind: QuestionKind::TrueFalse,
                    text: "Benar?".into(),
                    explanation: None,
                    options: QuestionSpec::true_false_options(true),
                },
                QuestionSpec {
                    key: "q3".into(),
                    kind: QuestionKind::MultipleChoice,
                    text: "Mana saja?".into(),
                    explanation: None,
                    options: QuestionSpec::numbered([
                        ("A".to_string(), true),
                        ("B".to_string(), true),
                        ("C".to_string(), false),
                    ]),
                },
            ],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_ignores_module_order_in_the_list_but_not_content() {
        let a = fixtures::spec();
        let mut b = a.clone();
        b.modules.reverse();
        assert_eq!(a.content_hash(), b.content_hash());
        let mut c = a.clone();
        c.modules[0].body_markdown.push('!');
        assert_ne!(a.content_hash(), c.content_hash());
        let mut d = a.clone();
        d.meta.jp = Jp::parse("1.5").unwrap();
        assert_ne!(a.content_hash(), d.content_hash());
        assert_eq!(a.content_hash().len(), 64);
    }

    #[test]
    fn course_codes_are_upper_case_identifiers() {
        assert_eq!(CourseCode::parse(" epp-01 ").unwrap().as_str(), "EPP-01");
        assert!(CourseCode::parse("EPP 01").is_err());
        assert!(CourseCode::parse("").is_err());
    }
}
