//! Course delivery: courses as content files, instructor publishing, immutable published
//! versions and the learner catalog.
//!
//! What a learner completes must always mean the same thing later, so a published version never
//! changes: editing makes a new draft, and every version has a content hash. The rules that make
//! a version publishable ([`rules`]) are pure functions shared by content files ([`format`]) and
//! the instructor API ([`Courses`]).

pub mod authoring;
pub mod catalog;
pub mod content_sync;
pub mod format;
pub mod model;
pub mod render;
pub mod rules;
pub mod service;
mod store;

pub use authoring::{Author, AuthoredCourse, DraftEdit, Preview, QuestionPreview, VersionInfo};
pub use catalog::{
    Catalog, CatalogFilter, CourseDetail, CourseSummary, EnrolledModule, EnrollmentView, InvalidFilter,
    ModuleContent, ModuleSummary, PostTestSummary,
};
pub use content_sync::ContentReport;
pub use model::{
    AnswerOption, CourseCode, CourseMeta, ModuleSpec, PostTest, QuestionKind, QuestionSpec, Scoring,
    VersionSpec,
};
pub use service::{AuthoringError, CatalogError, ContentImportError, Courses};
