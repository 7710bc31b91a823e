//! The ereceipt receipt platform (Source A's e-receipt management platform): enrolls
//! terminals, ingests sealed receipts, checks and stores them, and serves merchants and
//! verifiers.
//!
//! ```text
//! terminal ──PUT envelope──▶ ingest ─▶ blobs (envelope, image) + database (receipt, chain, job)
//!                                                 │
//!                           worker ◀── job ───────┘   verify_image: status + findings
//! merchant ──Bearer key──▶ merchant API (list, detail, image, CSV, terminals)
//! anyone ────image──────▶ /v1/verify
//! ```
//!
//! The service is one [`app`] (an axum [`Router`](axum::Router)) over an [`AppState`]: the
//! metadata database ([`db`]: SQLite by default, PostgreSQL for several instances), the blob
//! store ([`blobs`]: a directory or S3) and the keys in the data directory ([`keys`]). Nothing a
//! request needs lives only in a process's memory, so any number of instances can serve one
//! database and one blob store (docs/PLATFORM.md).
//!
//! Formats are core's: the envelope is opened by `ereceipt_core::seal::open_with` (with
//! aws-lc's constant-time RSA), the record decoded and checked with `ereceipt_core::record`
//! and `ereceipt_core::identity`. This crate adds storage, HTTP and administration.
//!
//! ```no_run
//! # async fn run() -> Result<(), ereceipt_platform::PlatformError> {
//! use ereceipt_platform::{AppState, Config, app};
//! let config = Config::for_data_dir("/var/lib/ereceipt");
//! let state = AppState::open(&config).await?;
//! let listener = tokio::net::TcpListener::bind(config.listen)
//!     .await
//!     .map_err(ereceipt_platform::PlatformError::from_io)?;
//! axum::serve(listener, app(state))
//!     .await
//!     .map_err(ereceipt_platform::PlatformError::from_io)?;
//! # Ok(()) }
//! ```

pub mod admin;
pub mod api;
pub mod blobs;
pub mod cli;
pub mod config;
pub mod db;
pub mod delivery;
pub mod keys;
pub mod server;
pub mod worker;

mod chain;
mod cpu;
mod error;
mod ingest;
mod secret;
mod state;
mod verified;
mod web;
mod writer;

pub use blobs::Blobs;
pub use config::{Config, Limits};
pub use db::Db;
pub use error::{ApiError, PlatformError};
pub use keys::PlatformKeys;
pub use state::AppState;

pub use ereceipt_core as core;

/// The platform's HTTP application over `state`: every route of the API (see [`api`]) and
/// the customer pages (the portal at `/`, the verify page at `/verify`; see docs/PLATFORM.md).
pub fn app(state: AppState) -> axum::Router {
    api::app(state.clone()).merge(web::router(state))
}
