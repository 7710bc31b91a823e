//! The metadata database: SQLite (the default, one file in the data directory) or PostgreSQL
//! (for several instances), one schema with a migration folder per backend, and a small
//! repository layer per area.
//!
//! Every statement is written once, in the SQL both backends understand (`$1` parameters,
//! `ON CONFLICT`, `RETURNING`); `on_pool!` and `on_tx!` run it on whichever backend is
//! configured. The only statement that differs is the job claim (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL; see the `jobs` module).
//!
//! **SQLite writes go through one connection.** SQLite allows one writer at a time; several
//! pooled writers would meet `SQLITE_BUSY` and its sleeping busy handler, which turns
//! contention into latency spikes. A pool of exactly one write connection queues writers in
//! the async pool instead, while reads use a separate pool under WAL. Every transaction starts
//! with a write, so SQLite takes the write lock first and never has to upgrade a read snapshot.
//! On PostgreSQL both are one pool, and the per-terminal row lock taken by that first write
//! serialises what must be serialised.

pub(crate) mod jobs;
pub(crate) mod merchants;
pub(crate) mod rate;
pub(crate) mod receipts;

use crate::error::PlatformError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// A connection pool of either backend.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    /// SQLite.
    Sqlite(SqlitePool),
    /// PostgreSQL.
    Postgres(PgPool),
}

/// A transaction of either backend.
pub(crate) enum Tx {
    /// SQLite.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$p` bound to the pool's backend-specific pool.
macro_rules! on_pool {
    ($pool:expr, $p:ident => $body:expr) => {
        match $pool {
            $crate::db::Pool::Sqlite($p) => $body,
            $crate::db::Pool::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the transaction's connection.
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::db::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::db::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

pub(crate) use {on_pool, on_tx};

/// The platform's metadata database.
#[derive(Clone, Debug)]
pub struct Db {
    write: Pool,
    read: Pool,
}

impl Db {
    /// Connects to `url` (`sqlite:PATH`, `postgres://…`) and brings the schema up to date.
    /// Several instances may do this at once: PostgreSQL migrations run under an advisory lock.
    pub async fn connect(url: &str) -> Result<Self, PlatformError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
            let pool = Pool::Postgres(pool);
            Ok(Db {
                write: pool.clone(),
                read: pool,
            })
        } else if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // 64 MiB of page cache per connection (the default is 2 MiB): the indexes
                // ingest walks stay in memory instead of being read back from the file.
                .pragma("cache_size", "-65536");
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.clone())
                .await?;
            sqlx::migrate!("migrations/sqlite").run(&write).await?;
            let read = SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(options.read_only(true))
                .await?;
            Ok(Db {
                write: Pool::Sqlite(write),
                read: Pool::Sqlite(read),
            })
        } else {
            Err(PlatformError::config(
                "the database URL must start with sqlite: or postgres://",
            ))
        }
    }

    /// Whether this is PostgreSQL.
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.write, Pool::Postgres(_))
    }

    /// The pool for reads.
    pub(crate) fn read(&self) -> &Pool {
        &self.read
    }

    /// The pool for single-statement writes.
    pub(crate) fn write(&self) -> &Pool {
        &self.write
    }

    /// Begins a write transaction. Its first statement must write (see the module docs).
    pub(crate) async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match &self.write {
            Pool::Sqlite(p) => Tx::Sqlite(p.begin().await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        on_pool!(&self.write, p => p.close().await);
        on_pool!(&self.read, p => p.close().await);
    }
}

impl Tx {
    /// Commits.
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(t) => t.commit().await,
            Tx::Postgres(t) => t.commit().await,
        }
    }
}

/// Whether an error is a unique-constraint violation (a concurrent insert of the same key).
pub(crate) fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// The current time in Unix seconds, as every timestamp column holds it.
pub(crate) fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}
