//! `questions.toml`: the post-test question bank.

use std::collections::HashMap;

use serde::Deserialize;

use super::{TextProblem, line_of, toml_problem};
use crate::model::{QuestionKind, QuestionSpec};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBank {
    #[serde(default)]
    questions: Vec<toml::Spanned<RawQuestion>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    text: String,
    explanation: Option<String>,
    options: Option<Vec<RawOption>>,
    answer: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOption {
    text: String,
    #[serde(default)]
    correct: bool,
}

/// The parsed bank and the line where each question starts (for locating later problems).
pub type ParsedBank = (Vec<QuestionSpec>, HashMap<String, usize>);

/// Parses a question bank. Shape problems of single questions (a true/false question with
/// options, an unknown type) are reported here; the rules every question must meet (exactly one
/// correct option, …) are checked by [`crate::rules`] for files and the API alike.
pub fn parse_questions(text: &str) -> Result<ParsedBank, Vec<TextProblem>> {
    let raw: RawBank = toml::from_str(text).map_err(|e| vec![toml_problem(text, &e, 0)])?;
    let mut problems = Vec::new();
    let mut questions = Vec::new();
    let mut lines = HashMap::new();
    for spanned in raw.questions {
        let line = line_of(text, spanned.span().start);
        let q = spanned.into_inner();
        let mut problem = |reason: String| problems.push(TextProblem { line: Some(line), reason });
        let Some(kind) = QuestionKind::parse(q.kind.trim()) else {
            problem(format!(
                "pertanyaan {}: jenis \"{}\" tidak dikenal (single_choice, multiple_choice, true_false)",
                q.id, q.kind
            ));
            continue;
        };
        let options = match (kind, q.options, q.answer) {
            (QuestionKind::TrueFalse, None, Some(answer)) => QuestionSpec::true_false_options(answer),
            (QuestionKind::TrueFalse, _, _) => {
                problem(format!(
                    "pertanyaan {}: benar/salah memakai `answer = true|false` tanpa `options`",
                    q.id
                ));
                continue;
            }
            (_, Some(options), None) => {
                QuestionSpec::numbered(options.into_iter().map(|o| (o.text.trim().to_string(), o.correct)))
            }
            (_, _, _) => {
                problem(format!("pertanyaan {}: pertanyaan pilihan memakai `options`, bukan `answer`", q.id));
                continue;
            }
        };
        lines.entry(q.id.trim().to_string()).or_insert(line);
        questions.push(QuestionSpec {
            key: q.id.trim().to_string(),
            kind,
            text: q.text.trim().to_string(),
            explanation: q.explanation.map(|e| e.trim().to_string()).filter(|e| !e.is_empty()),
            options,
        });
    }
    if problems.is_empty() { Ok((questions, lines)) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BANK: &str = r#"[[questions]]
id = "q01"
type = "single_choice"
text = "Apa?"
explanation = "Karena."
options = [
  { text = "A", correct = true },
  { text = "B" },
]

[[questions]]
id = "q02"
type = "true_false"
text = "Benar?"
answer = false
"#;

    #[test]
    fn parses_a_bank_with_lines() {
        let (qs, lines) = parse_questions(BANK).unwrap();
        assert_eq!(qs.len(), 2);
        assert_eq!(qs[0].options[0].id, "1");
        assert!(qs[0].options[0].correct);
        assert_eq!(qs[1].options[1].text, "Salah");
        assert!(qs[1].options[1].correct);
        assert_eq!(lines["q01"], 1);
        assert_eq!(lines["q02"], 11);
    }

    #[test]
    fn shape_problems_have_lines() {
        let p = parse_questions(&BANK.replace("answer = false", "answer = false\noptions = []")).unwrap_err();
        assert_eq!(p[0].line, Some(11));
        let p = parse_questions(&BANK.replace("single_choice", "essay")).unwrap_err();
        assert!(p[0].reason.contains("essay"));
        let p = parse_questions(&BANK.replace("text = \"Apa?\"", "teks = \"Apa?\"")).unwrap_err();
        assert!(p[0].line.is_some());
    }
}
