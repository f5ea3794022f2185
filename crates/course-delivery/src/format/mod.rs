//! The course format on disk (documented in `content/README.md`): reading a folder of courses
//! into [`VersionSpec`]s, and locating every problem to a file and line.
//!
//! The parsers take text, not paths, so that property tests can feed them arbitrary input;
//! only [`load_dir`] touches the file system.

mod course_toml;
mod folder;
mod module_md;
mod questions_toml;

use std::fmt;
use std::path::PathBuf;

pub use course_toml::parse_course_toml;
pub use folder::{LoadedCourse, load_dir};
pub use module_md::parse_module;
pub use questions_toml::parse_questions;

/// A problem in a content file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// 1-based line, when the problem has one.
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file.display(), line, self.reason),
            None => write!(f, "{}: {}", self.file.display(), self.reason),
        }
    }
}

/// A problem found while parsing one text: a line within it and a reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextProblem {
    pub line: Option<usize>,
    pub reason: String,
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// A TOML syntax or type error as a problem at its line.
pub(crate) fn toml_problem(text: &str, err: &toml::de::Error, line_offset: usize) -> TextProblem {
    // The first line of the library's message is the most useful part; the rest repeats the
    // source with a caret, which our file:line prefix already gives.
    let message = err.message().lines().next().unwrap_or("TOML tidak valid").to_string();
    TextProblem {
        line: err.span().map(|s| line_of(text, s.start) + line_offset),
        reason: format!("TOML tidak valid: {message}"),
    }
}

#[cfg(test)]
mod never_panics {
    //! The parsers read files that people edit by hand: whatever the bytes, they must answer
    //! with problems, never panic.

    use proptest::prelude::*;

    const COURSE: &str = "code = \"A-1\"\ntitle = \"T\"\ndescription = \"D\"\ntopic = \"t\"\norganiser = \"O\"\njp = \"1.5\"\n[post_test]\npass_mark = 70\nattempt_limit = 3\ntime_limit_minutes = 10\nquestions_per_attempt = 2\n";
    const MODULE: &str = "+++\ntitle = \"A\"\norder = 1\nmin_engaged_minutes = 30\n[video]\nurl = \"https://v\"\nduration_minutes = 3\n+++\n# Isi\n";
    const BANK: &str = "[[questions]]\nid = \"q1\"\ntype = \"single_choice\"\ntext = \"?\"\noptions = [{ text = \"a\", correct = true }, { text = \"b\" }]\n[[questions]]\nid = \"q2\"\ntype = \"true_false\"\ntext = \"?\"\nanswer = true\n";

    /// A valid document with a slice replaced by arbitrary text: close to valid, so the
    /// parsers get past the first line and into their deeper checks.
    fn mutate(base: &'static str) -> impl Strategy<Value = String> {
        (0..base.len(), 0..base.len(), "\\PC{0,12}").prop_map(move |(a, b, insert)| {
            let (lo, hi) = (a.min(b), a.max(b));
            let lo = (0..=lo).rev().find(|&i| base.is_char_boundary(i)).unwrap_or(0);
            let hi = (hi..=base.len()).find(|&i| base.is_char_boundary(i)).unwrap_or(base.len());
            format!("{}{}{}", &base[..lo], insert, &base[hi..])
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn arbitrary_text(s in "\\PC{0,200}") {
            let _ = super::parse_course_toml(&s);
            let _ = super::parse_module("k", &s);
            let _ = super::parse_questions(&s);
        }

        #[test]
        fn mutated_course(s in mutate(COURSE)) {
            let _ = super::parse_course_toml(&s);
        }

        #[test]
        fn mutated_module(s in mutate(MODULE)) {
            let _ = super::parse_module("k", &s);
        }

        #[test]
        fn mutated_bank(s in mutate(BANK)) {
            if let Ok((questions, _)) = super::parse_questions(&s) {
                // Whatever parsed must also go through the rules without panicking.
                let mut spec = crate::model::fixtures::spec();
                spec.questions = questions;
                let _ = crate::rules::violations(&spec, 45);
            }
        }
    }
}
