//! Certificates: signed Open Badges 3.0 credentials, PDF certificates, verification and
//! revocation.
//!
//! This crate starts empty: the foundation only reserves its place in the dependency graph
//! (core ← certificates ← api).
