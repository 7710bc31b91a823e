//! UniFFI bindings of `ereceipt-core` for Kotlin, Swift and Python.
//!
//! This crate is a thin layer of exported wrappers that owns no logic (see STYLE.md). Its
//! surface is delivered by the bindings issue; until then it only re-exports the core so that
//! the workspace's dependency direction (`bindings` → `core`, never `bindings` ↔ `platform`) is
//! in place and checked by the build.

pub use ereceipt_core as core;
