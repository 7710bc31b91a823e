//! Merchant administration: merchants, API keys, enrollment tokens, terminal revocation.
//!
//! These are library functions on a [`Db`], used by the `ereceipt platform` CLI and by tests.
//! They work on the same database as a running `serve` (SQLite under WAL allows it), so a
//! merchant can be added or a key revoked while the platform runs; a revoked key stops working
//! at the next request, because every request checks the key in the database.
//!
//! Secrets are shown once and stored as SHA-256 digests (see the `secret` module):
//! - API key `erk_<key id>_<secret>`: the 12-hex-digit key id is public (to revoke by), the
//!   secret is 256 random bits;
//! - enrollment token `ert_<secret>`: 256 random bits, single use, expiring.

use crate::db::{self, Db, merchants};
use crate::error::PlatformError;
use crate::secret::{random_bytes, random_hex, sha256_hex};
use ereceipt_core::identity::{IdentityError, TerminalSubject};
use std::fmt;

/// The prefix of every API key.
pub const API_KEY_PREFIX: &str = "erk_";
/// The prefix of every enrollment token.
pub const TOKEN_PREFIX: &str = "ert_";
/// How long an enrollment token is valid by default.
pub const DEFAULT_TOKEN_TTL: time::Duration = time::Duration::hours(24);

/// Why an administration call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A merchant id or name is not acceptable; `field` names which.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// `merchant_id`, `merchant_name` or `ttl`.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// A merchant with this id exists already.
    #[error("a merchant with this id exists already")]
    Exists,
    /// No merchant has this id.
    #[error("no merchant has this id")]
    UnknownMerchant,
    /// No API key has this id.
    #[error("no API key has this id")]
    UnknownKey,
    /// The database or the random source failed.
    #[error(transparent)]
    Platform(#[from] PlatformError),
}

impl From<sqlx::Error> for AdminError {
    fn from(e: sqlx::Error) -> Self {
        AdminError::Platform(e.into())
    }
}

/// A merchant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Merchant {
    /// The merchant id: 15 characters (ISO 8583 field 42, card acceptor id).
    pub merchant_id: String,
    /// The name printed on receipts and written into terminal certificates.
    pub name: String,
}

/// A new API key: the secret is in `api_key` and shown only now.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiKey {
    /// The public key id, to revoke the key by.
    pub key_id: String,
    /// The merchant the key is scoped to.
    pub merchant_id: String,
    /// The whole key, for `Authorization: Bearer`.
    pub api_key: String,
}

impl fmt::Debug for NewApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NewApiKey({}, redacted)", self.key_id)
    }
}

/// A new enrollment token, shown only now.
#[derive(Clone, PartialEq, Eq)]
pub struct NewEnrollmentToken {
    /// The token.
    pub token: String,
    /// The merchant a terminal enrolled with it will belong to.
    pub merchant_id: String,
    /// When it stops working, Unix seconds.
    pub expires_at: i64,
}

impl fmt::Debug for NewEnrollmentToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NewEnrollmentToken({}, redacted)", self.merchant_id)
    }
}

/// Adds a merchant named `name`, with the id given or a generated 15-digit one.
pub async fn add_merchant(db: &Db, name: &str, id: Option<&str>) -> Result<Merchant, AdminError> {
    let merchant_id = match id {
        Some(id) => id.to_owned(),
        None => generated_merchant_id()?,
    };
    // The same rules as the certificates the merchant's terminals will carry.
    TerminalSubject::new(&merchant_id, name, "0").map_err(|e| match e {
        IdentityError::InvalidSubject { field, reason } => AdminError::Invalid { field, reason },
        _ => AdminError::Invalid {
            field: "merchant_id",
            reason: "is not acceptable",
        },
    })?;
    match merchants::insert_merchant(db.write(), &merchant_id, name, db::now()).await {
        Ok(()) => Ok(Merchant {
            merchant_id,
            name: name.to_owned(),
        }),
        Err(e) if db::is_unique_violation(&e) => Err(AdminError::Exists),
        Err(e) => Err(e.into()),
    }
}

/// A merchant by id.
pub async fn merchant(db: &Db, merchant_id: &str) -> Result<Merchant, AdminError> {
    let row = merchants::merchant(db.read(), merchant_id)
        .await?
        .ok_or(AdminError::UnknownMerchant)?;
    Ok(Merchant {
        merchant_id: row.merchant_id,
        name: row.name,
    })
}

/// Creates an API key for a merchant.
pub async fn create_api_key(db: &Db, merchant_id: &str) -> Result<NewApiKey, AdminError> {
    merchant(db, merchant_id).await?;
    let key_id = random_hex::<6>()?;
    let secret = random_hex::<32>()?;
    merchants::insert_api_key(
        db.write(),
        &key_id,
        merchant_id,
        &sha256_hex(secret.as_bytes()),
        db::now(),
    )
    .await?;
    Ok(NewApiKey {
        api_key: format!("{API_KEY_PREFIX}{key_id}_{secret}"),
        key_id,
        merchant_id: merchant_id.to_owned(),
    })
}

/// Revokes an API key by its id; it stops working at once.
pub async fn revoke_api_key(db: &Db, key_id: &str) -> Result<(), AdminError> {
    if merchants::revoke_api_key(db.write(), key_id, db::now()).await? {
        Ok(())
    } else {
        Err(AdminError::UnknownKey)
    }
}

/// Creates a single-use enrollment token for a merchant, valid for `ttl`.
pub async fn create_enrollment_token(
    db: &Db,
    merchant_id: &str,
    ttl: time::Duration,
) -> Result<NewEnrollmentToken, AdminError> {
    if ttl <= time::Duration::ZERO {
        return Err(AdminError::Invalid {
            field: "ttl",
            reason: "must be positive",
        });
    }
    merchant(db, merchant_id).await?;
    let token = format!("{TOKEN_PREFIX}{}", random_hex::<32>()?);
    let now = db::now();
    let expires_at = now.saturating_add(ttl.whole_seconds());
    merchants::insert_token(
        db.write(),
        &token_hash(&token),
        merchant_id,
        now,
        expires_at,
    )
    .await?;
    Ok(NewEnrollmentToken {
        token,
        merchant_id: merchant_id.to_owned(),
        expires_at,
    })
}

/// Revokes every certificate of a merchant's terminal: its receipts are refused from now on
/// (403 `certificate_revoked`). Returns how many certificates were revoked.
pub async fn revoke_terminal(
    db: &Db,
    merchant_id: &str,
    terminal_id: &str,
) -> Result<u64, AdminError> {
    Ok(merchants::revoke_terminal(db.write(), merchant_id, terminal_id, db::now()).await?)
}

/// How a token is stored.
pub(crate) fn token_hash(token: &str) -> String {
    sha256_hex(token.as_bytes())
}

/// 15 random decimal digits, not starting with 0.
fn generated_merchant_id() -> Result<String, PlatformError> {
    const SPAN: u64 = 900_000_000_000_000;
    let random = u64::from_le_bytes(random_bytes::<8>()?);
    Ok((100_000_000_000_000 + random % SPAN).to_string())
}
