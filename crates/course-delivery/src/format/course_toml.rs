//! `course.toml`: a course's metadata and post-test settings.

use penkom_core::Jp;
use serde::Deserialize;

use super::{TextProblem, line_of, toml_problem};
use crate::model::{CourseCode, CourseMeta, PostTest, Scoring};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCourse {
    code: toml::Spanned<String>,
    title: String,
    description: String,
    topic: String,
    organiser: String,
    jp: toml::Spanned<toml::Value>,
    post_test: RawPostTest,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPostTest {
    pass_mark: u32,
    attempt_limit: u32,
    time_limit_minutes: u32,
    questions_per_attempt: u32,
    #[serde(default)]
    wait_minutes_between_attempts: u32,
    #[serde(default)]
    multiple_choice_scoring: Scoring,
    #[serde(default = "yes")]
    review_after_grading: bool,
}

/// Parses `course.toml`.
pub fn parse_course_toml(text: &str) -> Result<CourseMeta, Vec<TextProblem>> {
    let raw: RawCourse = toml::from_str(text).map_err(|e| vec![toml_problem(text, &e, 0)])?;
    let mut problems = Vec::new();
    let code = CourseCode::parse(raw.code.get_ref()).map_err(|reason| {
        problems.push(TextProblem { line: Some(line_of(text, raw.code.span().start)), reason })
    });
    let jp_line = Some(line_of(text, raw.jp.span().start));
    let jp = match raw.jp.get_ref() {
        toml::Value::String(s) => Jp::parse(s).map_err(|e| e.to_string()),
        toml::Value::Integer(i) => Jp::parse(&i.to_string()).map_err(|e| e.to_string()),
        toml::Value::Float(_) => {
            Err("jp: tulis JP sebagai teks desimal, mis. jp = \"1.5\" (bukan bilangan pecahan TOML)".into())
        }
        _ => Err("jp: harus teks desimal, mis. jp = \"3\"".into()),
    }
    .map_err(|reason| problems.push(TextProblem { line: jp_line, reason }));
    match (code, jp) {
        (Ok(code), Ok(jp)) if problems.is_empty() => Ok(CourseMeta {
            code,
            title: raw.title.trim().to_string(),
            description: raw.description.trim().to_string(),
            topic: raw.topic.trim().to_string(),
            organiser: raw.organiser.trim().to_string(),
            jp,
            post_test: PostTest {
                pass_mark: raw.post_test.pass_mark,
                attempt_limit: raw.post_test.attempt_limit,
                time_limit_minutes: raw.post_test.time_limit_minutes,
                questions_per_attempt: raw.post_test.questions_per_attempt,
                wait_minutes_between_attempts: raw.post_test.wait_minutes_between_attempts,
                multiple_choice_scoring: raw.post_test.multiple_choice_scoring,
                review_after_grading: raw.post_test.review_after_grading,
            },
        }),
        _ => Err(problems),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const GOOD: &str = r#"code = "epp-01"
title = "Etika"
description = """
Deskripsi.
"""
topic = "etika"
organiser = "BKPSDM"
jp = "1.5"

[post_test]
pass_mark = 70
attempt_limit = 3
time_limit_minutes = 20
questions_per_attempt = 10
multiple_choice_scoring = "partial"
"#;

    #[test]
    fn parses_a_course() {
        let meta = parse_course_toml(GOOD).unwrap();
        assert_eq!(meta.code.as_str(), "EPP-01");
        assert_eq!(meta.jp.to_string(), "1.5");
        assert_eq!(meta.description, "Deskripsi.");
        assert_eq!(meta.post_test.multiple_choice_scoring, Scoring::Partial);
        assert!(meta.post_test.review_after_grading);
        assert_eq!(meta.post_test.wait_minutes_between_attempts, 0);
    }

    #[test]
    fn a_float_jp_is_refused_at_its_line() {
        let p = parse_course_toml(&GOOD.replace("jp = \"1.5\"", "jp = 1.5")).unwrap_err();
        assert_eq!(p[0].line, Some(8));
        assert!(p[0].reason.contains("teks desimal"));
        assert!(parse_course_toml(&GOOD.replace("jp = \"1.5\"", "jp = 2")).is_ok());
    }

    #[test]
    fn syntax_errors_unknown_keys_and_bad_codes_have_lines() {
        let p = parse_course_toml(&GOOD.replace("topic = \"etika\"", "topic = etika")).unwrap_err();
        assert_eq!(p[0].line, Some(6));
        let p =
            parse_course_toml(&GOOD.replace("pass_mark = 70", "pass_mark = 70\npassmark = 80")).unwrap_err();
        assert!(p[0].reason.contains("passmark"), "{p:?}");
        let p = parse_course_toml(&GOOD.replace("epp-01", "EPP 01")).unwrap_err();
        assert_eq!(p[0].line, Some(1));
        let p = parse_course_toml(&GOOD.replace("pass_mark = 70", "pass_mark = -1")).unwrap_err();
        assert!(p[0].line.is_some());
    }
}
