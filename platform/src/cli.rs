//! `ereceipt platform …`: run the server and administer merchants.
//!
//! The `ereceipt` binary embeds [`PlatformCommand`] as its `platform` subcommand and calls
//! [`run`]. Administration commands work on the same data directory or database as `serve`,
//! also while it runs. Each prints a line for people, or one JSON object with `--json`.

use crate::admin::{self, AdminError};
use crate::config::{Config, ConfigFile};
use crate::error::PlatformError;
use crate::keys;
use crate::state::AppState;
use crate::{Db, app, worker};
use serde_json::{Value, json};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the platform's data is: shared by every platform command.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct StoreArgs {
    /// The data directory (keys; by default also the SQLite file and the blobs).
    #[arg(long, env = "ERECEIPT_DATA")]
    pub data: Option<PathBuf>,
    /// The database URL: sqlite:PATH or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, env = "ERECEIPT_DATABASE_URL")]
    pub database: Option<String>,
    /// A config file (TOML, or JSON when named *.json); flags and environment win over it.
    #[arg(long, env = "ERECEIPT_CONFIG")]
    pub config: Option<PathBuf>,
}

/// The `ereceipt platform` subcommands.
#[derive(Clone, Debug, clap::Subcommand)]
#[non_exhaustive]
pub enum PlatformCommand {
    /// Run the platform server; prints `listening on http://ADDR` when ready and stops
    /// cleanly on SIGTERM or Ctrl-C.
    Serve {
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// The address to listen on (port 0 picks a free port).
        #[arg(long, env = "ERECEIPT_LISTEN")]
        listen: Option<SocketAddr>,
        /// The blob store: a directory, file:///DIR or s3://BUCKET/PREFIX.
        #[arg(long, env = "ERECEIPT_BLOBS_URL")]
        blobs: Option<String>,
        /// Verification workers in this instance (0: leave verification to others).
        #[arg(long, env = "ERECEIPT_WORKERS")]
        workers: Option<usize>,
        /// Receipts one terminal may upload per minute (0: no limit).
        #[arg(long, env = "ERECEIPT_RATE_PER_MINUTE")]
        rate_per_minute: Option<u32>,
        /// The largest accepted envelope in bytes.
        #[arg(long, env = "ERECEIPT_MAX_ENVELOPE_BYTES")]
        max_envelope_bytes: Option<usize>,
    },
    /// Manage merchants.
    Merchant {
        /// What to do.
        #[command(subcommand)]
        command: MerchantCommand,
    },
    /// Create a merchant API key (shown once), or revoke one with --revoke KEY_ID.
    ApiKey {
        /// The merchant the new key is for.
        #[arg(long, required_unless_present = "revoke", conflicts_with = "revoke")]
        merchant: Option<String>,
        /// The id of a key to revoke (the part after erk_ and before the next _).
        #[arg(long)]
        revoke: Option<String>,
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a single-use enrollment token for a merchant's new terminal.
    EnrollmentToken {
        /// The merchant.
        #[arg(long)]
        merchant: String,
        /// How long the token is valid, in minutes.
        #[arg(long, default_value_t = 1440)]
        ttl_minutes: u32,
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke every certificate of a terminal: its uploads are refused from now on.
    RevokeTerminal {
        /// The merchant.
        #[arg(long)]
        merchant: String,
        /// The terminal id.
        #[arg(long)]
        terminal: String,
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mint a one-time portal sign-in code for a phone number (valid 10 minutes, single use),
    /// printed instead of texted: for support staff and demos.
    LoginCode {
        /// The phone number in international form (+8613800138000).
        #[arg(long)]
        phone: String,
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Make a new RSA encryption key current (old keys stay for opening old envelopes).
    RotateKey {
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `ereceipt platform merchant …`.
#[derive(Clone, Debug, clap::Subcommand)]
#[non_exhaustive]
pub enum MerchantCommand {
    /// Add a merchant.
    Add {
        /// The merchant's name, as printed on receipts.
        #[arg(long)]
        name: String,
        /// The merchant id (15 characters, ISO 8583 field 42); generated when not given.
        #[arg(long)]
        id: Option<String>,
        /// Where the data is.
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Why a platform command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlatformCliError {
    /// Administration refused the request or failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
    /// The platform could not start or run.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// Standard output or the listening socket failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Runs a platform command on its own tokio runtime.
pub fn run(command: PlatformCommand) -> Result<(), PlatformCliError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(dispatch(command))
}

async fn dispatch(command: PlatformCommand) -> Result<(), PlatformCliError> {
    match command {
        PlatformCommand::Serve {
            store,
            listen,
            blobs,
            workers,
            rate_per_minute,
            max_envelope_bytes,
        } => {
            let flags = ConfigFile {
                listen,
                blobs,
                workers,
                rate_per_minute,
                max_envelope_bytes,
                ..flags(&store)
            };
            serve(config(&store, flags)?).await
        }
        PlatformCommand::Merchant {
            command:
                MerchantCommand::Add {
                    name,
                    id,
                    store,
                    json,
                },
        } => {
            let merchant = admin::add_merchant(&db(&store).await?, &name, id.as_deref()).await?;
            let text = format!(
                "merchant {} added ({})",
                merchant.merchant_id, merchant.name
            );
            let value = json!({ "merchant_id": merchant.merchant_id, "id": merchant.merchant_id, "name": merchant.name });
            print(json, &value, &text)
        }
        PlatformCommand::ApiKey {
            merchant,
            revoke,
            store,
            json,
        } => {
            let db = db(&store).await?;
            match (merchant, revoke) {
                (_, Some(key_id)) => {
                    admin::revoke_api_key(&db, &key_id).await?;
                    let value = json!({ "key_id": key_id, "revoked": true });
                    print(json, &value, &format!("API key {key_id} revoked"))
                }
                (Some(merchant), None) => {
                    let key = admin::create_api_key(&db, &merchant).await?;
                    let value = json!({ "key_id": key.key_id, "merchant_id": key.merchant_id, "api_key": key.api_key });
                    let text = format!(
                        "{}\n(API key {} for merchant {}: shown only now, store it safely)",
                        key.api_key, key.key_id, key.merchant_id
                    );
                    print(json, &value, &text)
                }
                (None, None) => unreachable!("clap requires --merchant or --revoke"),
            }
        }
        PlatformCommand::EnrollmentToken {
            merchant,
            ttl_minutes,
            store,
            json,
        } => {
            let ttl = time::Duration::minutes(i64::from(ttl_minutes));
            let token = admin::create_enrollment_token(&db(&store).await?, &merchant, ttl).await?;
            let value = json!({ "token": token.token, "merchant_id": token.merchant_id, "expires_at": token.expires_at });
            let text = format!(
                "{}\n(single-use enrollment token for merchant {}, valid {ttl_minutes} minutes)",
                token.token, token.merchant_id
            );
            print(json, &value, &text)
        }
        PlatformCommand::RevokeTerminal {
            merchant,
            terminal,
            store,
            json,
        } => {
            let revoked = admin::revoke_terminal(&db(&store).await?, &merchant, &terminal).await?;
            let value = json!({ "merchant_id": merchant, "terminal_id": terminal, "certificates_revoked": revoked });
            let text = format!("{revoked} certificate(s) of terminal {terminal} revoked");
            print(json, &value, &text)
        }
        PlatformCommand::LoginCode { phone, store, json } => {
            let state = AppState::open(&config(&store, flags(&store))?).await?;
            let code = crate::delivery::login_code(&state, &phone)
                .await?
                .ok_or_else(|| PlatformError::config("the number is locked after wrong codes"))?;
            let value = json!({ "code": code, "expires_in_seconds": 600 });
            print(
                json,
                &value,
                &format!("{code}\n(sign-in code, valid 10 minutes)"),
            )
        }
        PlatformCommand::RotateKey { store, json } => {
            let data = config(&store, flags(&store))?.data;
            let key_id = tokio::task::spawn_blocking(move || keys::rotate_encryption_key(&data))
                .await
                .map_err(PlatformError::from)??;
            let value = json!({ "key_id": key_id });
            print(
                json,
                &value,
                &format!("encryption key {key_id} is now current"),
            )
        }
    }
}

fn flags(store: &StoreArgs) -> ConfigFile {
    ConfigFile {
        data: store.data.clone(),
        database: store.database.clone(),
        ..ConfigFile::default()
    }
}

fn config(store: &StoreArgs, flags: ConfigFile) -> Result<Config, PlatformError> {
    let file = store.config.as_deref().map(ConfigFile::read).transpose()?;
    Ok(Config::resolve(flags, file))
}

async fn db(store: &StoreArgs) -> Result<Db, PlatformError> {
    let config = config(store, flags(store))?;
    std::fs::create_dir_all(&config.data).map_err(PlatformError::io(&config.data))?;
    Db::connect(&config.database).await
}

fn print(json: bool, value: &Value, text: &str) -> Result<(), PlatformCliError> {
    let mut out = std::io::stdout().lock();
    if json {
        writeln!(out, "{value}")?;
    } else {
        writeln!(out, "{text}")?;
    }
    Ok(out.flush()?)
}

async fn serve(config: Config) -> Result<(), PlatformCliError> {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ERECEIPT_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let state = AppState::open(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let address = listener.local_addr()?;
    state.serving_at(address);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = worker::spawn_workers(&state, config.workers, &stopped);
    print(
        false,
        &Value::Null,
        &format!("listening on http://{address}"),
    )?;
    tracing::info!(%address, database = backend(&config.database), "platform started");
    axum::serve(
        listener,
        app(state.clone()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    state.db().close().await;
    tracing::info!("platform stopped");
    Ok(())
}

/// The database kind for logs (the URL may hold a password).
fn backend(url: &str) -> &'static str {
    if url.starts_with("sqlite:") {
        "sqlite"
    } else {
        "postgres"
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
