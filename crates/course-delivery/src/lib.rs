//! Course delivery: courses as content files, instructor publishing, immutable published
//! versions and the learner catalog.
//!
//! This crate starts empty: the foundation only reserves its place in the dependency graph
//! (core ← course-delivery ← api). What a learner completes must always mean the same thing
//! later, so the rules that will live here make published content immutable and versioned.
