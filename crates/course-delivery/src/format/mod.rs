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
