//! Merchants, their API keys and enrollment tokens, terminals and certificates.

use super::{Pool, Tx, on_pool, on_tx};

/// A merchant row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct MerchantRow {
    pub(crate) merchant_id: String,
    pub(crate) name: String,
}

/// A certificate the platform issued (PEM).
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct CertificateRow {
    pub(crate) certificate: String,
}

/// Whom a certificate was issued to, and whether it is revoked.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct IssuedRow {
    pub(crate) merchant_id: String,
    pub(crate) terminal_id: String,
    pub(crate) revoked_at: Option<i64>,
}

/// A terminal with its receipt count.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct TerminalRow {
    pub(crate) terminal_id: String,
    pub(crate) enrolled_at: i64,
    pub(crate) receipts: i64,
    pub(crate) last_receipt_at: Option<i64>,
}

/// What is known about an enrollment token that could not be claimed.
#[derive(Clone, Debug, sqlx::FromRow)]
pub(crate) struct TokenRow {
    pub(crate) expires_at: i64,
    pub(crate) used_at: Option<i64>,
}

pub(crate) async fn insert_merchant(
    pool: &Pool,
    merchant_id: &str,
    name: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO merchants (merchant_id, name, created_at) VALUES ($1, $2, $3)";
    on_pool!(pool, p => sqlx::query(SQL).bind(merchant_id).bind(name).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub(crate) async fn merchant(
    pool: &Pool,
    merchant_id: &str,
) -> Result<Option<MerchantRow>, sqlx::Error> {
    const SQL: &str = "SELECT merchant_id, name FROM merchants WHERE merchant_id = $1";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(merchant_id).fetch_optional(p).await)
}

pub(crate) async fn insert_api_key(
    pool: &Pool,
    key_id: &str,
    merchant_id: &str,
    secret_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO api_keys (key_id, merchant_id, secret_hash, created_at) \
                       VALUES ($1, $2, $3, $4)";
    on_pool!(pool, p => sqlx::query(SQL)
        .bind(key_id).bind(merchant_id).bind(secret_hash).bind(now)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks a key revoked; `false` when there is no such key.
pub(crate) async fn revoke_api_key(
    pool: &Pool,
    key_id: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    const SQL: &str = "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE key_id = $1";
    let done = on_pool!(pool, p => sqlx::query(SQL).bind(key_id).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// The merchant and secret hash of a key that is not revoked.
pub(crate) async fn active_api_key(
    pool: &Pool,
    key_id: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    const SQL: &str = "SELECT merchant_id, secret_hash FROM api_keys \
                       WHERE key_id = $1 AND revoked_at IS NULL";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(key_id).fetch_optional(p).await)
}

pub(crate) async fn insert_token(
    pool: &Pool,
    token_hash: &str,
    merchant_id: &str,
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    const SQL: &str = "INSERT INTO enrollment_tokens \
                       (token_hash, merchant_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
    on_pool!(pool, p => sqlx::query(SQL)
        .bind(token_hash).bind(merchant_id).bind(now).bind(expires_at)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Spends a token: one atomic UPDATE, so of two concurrent uses exactly one gets the merchant.
pub(crate) async fn claim_token(
    tx: &mut Tx,
    token_hash: &str,
    terminal_id: &str,
    now: i64,
) -> Result<Option<MerchantRow>, sqlx::Error> {
    const SQL: &str = "UPDATE enrollment_tokens SET used_at = $2, terminal_id = $3 \
                       WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                       RETURNING merchant_id";
    const NAME: &str = "SELECT merchant_id, name FROM merchants WHERE merchant_id = $1";
    let merchant: Option<(String,)> = on_tx!(tx, c => sqlx::query_as(SQL)
        .bind(token_hash).bind(now).bind(terminal_id)
        .fetch_optional(c).await)?;
    match merchant {
        None => Ok(None),
        Some((id,)) => on_tx!(tx, c => sqlx::query_as(NAME).bind(id).fetch_optional(c).await),
    }
}

pub(crate) async fn token(pool: &Pool, token_hash: &str) -> Result<Option<TokenRow>, sqlx::Error> {
    const SQL: &str = "SELECT expires_at, used_at FROM enrollment_tokens WHERE token_hash = $1";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(token_hash).fetch_optional(p).await)
}

/// The certificate a platform issued, recorded with its terminal.
pub(crate) struct NewCertificate<'a> {
    pub(crate) fingerprint: &'a str,
    pub(crate) merchant_id: &'a str,
    pub(crate) terminal_id: &'a str,
    pub(crate) serial: &'a str,
    pub(crate) pem: &'a str,
    pub(crate) not_after: i64,
}

pub(crate) async fn insert_certificate(
    tx: &mut Tx,
    cert: &NewCertificate<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    const TERMINAL: &str = "INSERT INTO terminals (merchant_id, terminal_id, enrolled_at) \
                            VALUES ($1, $2, $3) ON CONFLICT (merchant_id, terminal_id) DO NOTHING";
    const CERT: &str = "INSERT INTO certificates (fingerprint, merchant_id, terminal_id, serial, \
                        certificate, not_after, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, c => sqlx::query(TERMINAL)
        .bind(cert.merchant_id).bind(cert.terminal_id).bind(now)
        .execute(&mut *c).await.map(|r| r.rows_affected()))?;
    on_tx!(tx, c => sqlx::query(CERT)
        .bind(cert.fingerprint).bind(cert.merchant_id).bind(cert.terminal_id)
        .bind(cert.serial).bind(cert.pem).bind(cert.not_after).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Whom a certificate was issued to and whether it is revoked, inside a write transaction (the
/// receipt writer checks it under the terminal's lock, so a revocation committed before the
/// receipt refuses it).
pub(crate) async fn issued(
    tx: &mut Tx,
    fingerprint: &str,
) -> Result<Option<IssuedRow>, sqlx::Error> {
    const SQL: &str = "SELECT merchant_id, terminal_id, revoked_at FROM certificates \
                       WHERE fingerprint = $1";
    on_tx!(tx, c => sqlx::query_as(SQL).bind(fingerprint).fetch_optional(c).await)
}

/// The certificates issued to terminals with this id (of any merchant), newest first.
pub(crate) async fn certificates_of_terminal(
    pool: &Pool,
    terminal_id: &str,
) -> Result<Vec<CertificateRow>, sqlx::Error> {
    const SQL: &str = "SELECT certificate FROM certificates WHERE terminal_id = $1 \
                       ORDER BY issued_at DESC LIMIT 50";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(terminal_id).fetch_all(p).await)
}

/// Revokes every certificate of a terminal; returns how many were revoked now.
pub(crate) async fn revoke_terminal(
    pool: &Pool,
    merchant_id: &str,
    terminal_id: &str,
    now: i64,
) -> Result<u64, sqlx::Error> {
    const SQL: &str = "UPDATE certificates SET revoked_at = $3 \
                       WHERE merchant_id = $1 AND terminal_id = $2 AND revoked_at IS NULL";
    let done = on_pool!(pool, p => sqlx::query(SQL)
        .bind(merchant_id).bind(terminal_id).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(done)
}

pub(crate) async fn terminals(
    pool: &Pool,
    merchant_id: &str,
) -> Result<Vec<TerminalRow>, sqlx::Error> {
    const SQL: &str = "SELECT terminal_id, enrolled_at, receipts, last_receipt_at FROM terminals \
                       WHERE merchant_id = $1 ORDER BY terminal_id";
    on_pool!(pool, p => sqlx::query_as(SQL).bind(merchant_id).fetch_all(p).await)
}
