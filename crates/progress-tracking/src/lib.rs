//! Progress tracking: server-measured study time from heartbeats, one study stream per
//! learner, module completion, post-tests and verified course completion.
//!
//! This crate starts empty: the foundation only reserves its place in the dependency graph
//! (core, live-store ← progress-tracking ← api). The server, never the browser, will decide here
//! how much engaged study time a learner has.
