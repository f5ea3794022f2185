//! The page handlers, one module per part of the learner's app. Each handler parses the
//! request, calls a domain service, and renders a template; none holds a rule of its own.

pub mod catalog;
pub mod certificates;
pub mod dashboard;
pub mod history;
pub mod post_test;
pub mod signin;
pub mod study;
