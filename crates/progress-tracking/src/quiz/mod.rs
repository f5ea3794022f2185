//! Post-tests, as pure rules: which questions an attempt shows and in what order
//! ([`layout`]), and how saved answers are checked and graded ([`grading`]). The service that
//! stores attempts is [`crate::attempts`].

pub mod grading;
pub mod layout;

pub use grading::{AnswerError, Grade, Graded, Key, QuestionGrade, grade, validate};
pub use layout::{Answers, Shown, label, pick};
