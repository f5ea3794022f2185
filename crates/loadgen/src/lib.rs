//! What the benchmark programs share ([`seed`]); the programs are `src/main.rs` (heartbeats) and
//! `src/bin/` (report, dashboard, bulk verifier, post-test submissions).

pub mod seed;
