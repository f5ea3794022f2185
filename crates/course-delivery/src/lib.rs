//! Course delivery: courses as content files, instructor publishing, immutable published
//! versions and the learner catalog.
//!
//! What a learner completes must always mean the same thing later, so a published version never
//! changes: editing makes a new draft, and every version has a content hash. The rules that make
//! a version publishable ([`rules`]) are pure functions shared by content files ([`format`]) and
//! the instructor API ([`Courses`]).

pub mod format;
pub mod model;
pub mod render;
pub mod rules;

pub use model::{
    CourseCode, CourseMeta, ModuleSpec, PostTest, QuestionKind, QuestionSpec, Scoring, VersionSpec,
};
