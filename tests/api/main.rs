//! End-to-end tests: each test starts the real server (built by the same `Server::start` that
//! `penkom serve` uses) on `127.0.0.1:0` with a fresh, migrated database, and talks HTTP to it.
//!
//! With `PENKOM_TEST_DATABASE_URL` set, each test gets its own fresh PostgreSQL database; with
//! `PENKOM_TEST_REDIS_URL` set, the live store is Redis with a key prefix of the test's own.
//! Without them, SQLite in a temporary directory and the in-process store are used.

mod browser;
mod support;

mod accounts_cli;
mod auth;
mod certificates;
mod course_authoring;
mod courses;
mod database_drops;
mod errors;
mod health;
mod import;
mod learner_app;
mod ledger;
mod mail;
mod migrations;
mod post_test;
mod route_access;
mod slow_clients;
mod smtp_sink;
mod study;
mod tampering;
mod tidy;
mod web;
