-- Customers, identified by the SaaS's own external id.
CREATE TABLE customers (
    id                 TEXT PRIMARY KEY,
    external_id        TEXT NOT NULL UNIQUE,
    email              TEXT,
    name               TEXT,
    metadata           TEXT NOT NULL DEFAULT '{}',
    stripe_customer_id TEXT UNIQUE,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX customers_created_at ON customers (created_at, id);

-- Responses to POSTs sent with an Idempotency-Key, replayed for 24 hours.
CREATE TABLE idempotency_keys (
    api_key_id     TEXT NOT NULL,
    key            TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status         INTEGER,
    content_type   TEXT,
    response_body  BYTEA,
    created_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_key_id, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
