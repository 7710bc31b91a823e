//! End-to-end tests of the ereceipt workspace: one binary, one module per area.

#![allow(
    clippy::unwrap_used,
    reason = "a panic in a test helper is a failed test"
)]

mod outbox;
mod privacy;
mod render;
mod trust;
