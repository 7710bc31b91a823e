-- The platform's metadata (SQLite). Keep in step with ../postgres/0001_schema.sql: same
-- tables, columns and indexes; only the types differ. Times are Unix seconds.

CREATE TABLE merchants (
    merchant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- API keys: only the SHA-256 of the secret is stored.
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    secret_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);

-- Enrollment tokens: single use (used_at), expiring, stored hashed.
CREATE TABLE enrollment_tokens (
    token_hash TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    terminal_id TEXT
);

-- One row per terminal of a merchant; ingest locks it to serialise the terminal's chain.
CREATE TABLE terminals (
    merchant_id TEXT NOT NULL REFERENCES merchants (merchant_id),
    terminal_id TEXT NOT NULL,
    enrolled_at INTEGER NOT NULL,
    receipts INTEGER NOT NULL DEFAULT 0,
    last_receipt_at INTEGER,
    PRIMARY KEY (merchant_id, terminal_id)
);

-- Every certificate the platform issued.
CREATE TABLE certificates (
    fingerprint TEXT PRIMARY KEY,
    merchant_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    serial TEXT NOT NULL,
    certificate TEXT NOT NULL,
    not_after INTEGER NOT NULL,
    issued_at INTEGER NOT NULL,
    revoked_at INTEGER,
    FOREIGN KEY (merchant_id, terminal_id) REFERENCES terminals (merchant_id, terminal_id)
);
CREATE INDEX certificates_terminal ON certificates (terminal_id);

-- Stored receipts. The record (merchant data: masked card, amounts) is kept for search and
-- display; strokes and the customer's delivery address stay in the encrypted envelope blob.
CREATE TABLE receipts (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_id TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    counter INTEGER NOT NULL,
    previous TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    envelope_sha256 TEXT NOT NULL,
    envelope_key TEXT NOT NULL,
    image_key TEXT NOT NULL,
    key_id TEXT NOT NULL,
    certificate_fingerprint TEXT NOT NULL,
    signed INTEGER NOT NULL,
    kind TEXT NOT NULL,
    trace_number TEXT NOT NULL,
    amount INTEGER NOT NULL,
    currency TEXT NOT NULL,
    local_time TEXT NOT NULL,
    local_date TEXT NOT NULL,
    record TEXT NOT NULL,
    delivery_kind TEXT,
    received_at INTEGER NOT NULL,
    verification TEXT NOT NULL DEFAULT 'pending',
    verification_report TEXT,
    verified_at INTEGER
);
CREATE INDEX receipts_merchant ON receipts (merchant_id, seq);
CREATE INDEX receipts_chain ON receipts (merchant_id, terminal_id, counter);
CREATE INDEX receipts_previous ON receipts (merchant_id, terminal_id, previous);

-- Gaps, forks and chain breaks per terminal; a gap is resolved when its receipt arrives.
CREATE TABLE chain_findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id TEXT NOT NULL,
    terminal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    counter INTEGER NOT NULL,
    receipt_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    found_at INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE INDEX chain_findings_terminal ON chain_findings (merchant_id, terminal_id, counter);

-- Background jobs (image verification), claimed with one UPDATE … RETURNING.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    receipt_id TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    run_after INTEGER NOT NULL,
    locked_until INTEGER,
    done_at INTEGER,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs (run_after) WHERE done_at IS NULL;

-- Fixed-window upload counters per terminal id.
CREATE TABLE rate_windows (
    bucket TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    count INTEGER NOT NULL
);
