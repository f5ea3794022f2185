//! Progress tracking: server-measured study time from heartbeats, one study stream per
//! learner, module completion, post-tests and course completion.
//!
//! The server, never the browser, decides how much engaged study time a learner has. The rules
//! are pure functions in [`credit`]; the state of running streams lives in the live store (so
//! every API node sees the same stream), and credited time is checkpointed to the database.

pub mod anomalies;
pub mod attempts;
pub mod completion;
pub mod course_progress;
pub mod credit;
pub mod evidence;
pub mod quiz;
pub mod service;
pub mod stream;
mod stream_cache;

pub use anomalies::{Anomaly, AnomalyKind};
pub use attempts::{
    AttemptResult, AttemptView, MissingModule, OptionView, QuestionView, QuizError, Quizzes, ReviewItem,
    Submission,
};
pub use completion::{CourseCompletion, Evidence};
pub use course_progress::{CourseProgress, ModuleProgress, NextStep, PostTestStatus};
pub use credit::{CreditPolicy, Rejection};
pub use evidence::{ModuleEvidence, SegmentEvidence, SessionEvidence};
pub use service::{BeatReport, Completion, Progress, SessionStarted, StudyError, StudyModule};
