//! Progress tracking: server-measured study time from heartbeats, one study stream per
//! learner, module completion.
//!
//! The server, never the browser, decides how much engaged study time a learner has. The rules
//! are pure functions in [`credit`]; the state of running streams lives in the live store (so
//! every API node sees the same stream), and credited time is checkpointed to the database.

pub mod credit;
