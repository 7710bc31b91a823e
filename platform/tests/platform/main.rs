//! The platform's integration tests: one binary, a module per area. Every scenario runs on
//! SQLite and on PostgreSQL (`ERECEIPT_TEST_POSTGRES` must name an admin URL; without it the
//! PostgreSQL tests fail rather than pass silently).

#![allow(
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    unreachable_pub,
    reason = "a panic in a test is a failed test; helpers are shared between modules"
)]

#[macro_use]
mod support;

mod access;
mod chain;
mod delivery;
mod keys;
mod s3;
mod scale;
mod status;
mod verification;
