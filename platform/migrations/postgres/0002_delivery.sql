-- Delivery to customers and the customer portal (PostgreSQL). Keep in step with
-- ../sqlite/0002_delivery.sql. Times are Unix seconds.

-- One delivery job per receipt with a delivery choice. The address (phone number or e-mail
-- address) is stored only encrypted (AES-256-GCM, key in DATA/keys/delivery.key); phone_hash
-- is a keyed HMAC of the normalised number, for the portal's lookups. The row is its own job:
-- claimed with a lease (locked_until), retried at run_after until sent or failed.
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    receipt_id TEXT NOT NULL UNIQUE,
    merchant_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    address_sealed TEXT NOT NULL,
    phone_hash TEXT,
    status TEXT NOT NULL DEFAULT 'queued',
    reason TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    run_after BIGINT NOT NULL,
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX deliveries_due ON deliveries (run_after) WHERE status = 'queued';
CREATE INDEX deliveries_phone ON deliveries (phone_hash, created_at);

-- Short, expiring links to one receipt (texts, e-mails) or its image (MMS): stored hashed.
CREATE TABLE receipt_links (
    token_hash TEXT PRIMARY KEY,
    receipt_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- One-time login codes, one row per phone number (keyed hash): the code's keyed hash, its
-- expiry, and the wrong attempts and lock-out, which outlive the code.
CREATE TABLE login_codes (
    phone_hash TEXT PRIMARY KEY,
    code_hash TEXT,
    expires_at BIGINT NOT NULL,
    failures BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT
);

-- Portal sessions, by the SHA-256 of the cookie's secret.
CREATE TABLE portal_sessions (
    id_hash TEXT PRIMARY KEY,
    phone_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
