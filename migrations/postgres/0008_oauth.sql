-- OAuth connections to third-party providers (issue 7). Tokens and PKCE verifiers are sealed with
-- AES-256-GCM under TOLLGATE_ENCRYPTION_KEY ("KEYID:…" text; the key id is also a column so
-- re-encryption finds rows under old keys).

-- One-time authorization states: the SHA-256 of the state sent to the provider (never the state
-- itself), bound to the customer, provider and return URL; consumed once by the callback.
CREATE TABLE oauth_states (
    state_hash     TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL REFERENCES customers (id),
    provider       TEXT NOT NULL,
    return_url     TEXT,
    scopes         TEXT,
    code_verifier  TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    consumed_at    TIMESTAMPTZ
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

-- One connection per customer and provider; connecting again replaces its tokens.
CREATE TABLE oauth_connections (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL REFERENCES customers (id),
    provider        TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('active', 'refresh_failed')),
    access_token    TEXT NOT NULL,
    refresh_token   TEXT,
    key_id          TEXT NOT NULL,
    token_type      TEXT NOT NULL,
    expires_at      TIMESTAMPTZ,
    scopes          TEXT NOT NULL,
    account         TEXT,
    return_url      TEXT,
    failure_count   INTEGER NOT NULL CHECK (failure_count >= 0),
    last_error      TEXT,
    refreshed_at    TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (customer_id, provider)
);
CREATE INDEX oauth_connections_key_id ON oauth_connections (key_id);

-- What each disconnect did at the provider (the connection row itself is deleted).
CREATE TABLE oauth_disconnections (
    id                TEXT PRIMARY KEY,
    connection_id     TEXT NOT NULL,
    customer_id       TEXT NOT NULL REFERENCES customers (id),
    provider          TEXT NOT NULL,
    account           TEXT,
    reason            TEXT NOT NULL,
    revocation        TEXT NOT NULL CHECK (revocation IN ('revoked', 'failed', 'not_supported', 'skipped')),
    revocation_error  TEXT,
    disconnected_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX oauth_disconnections_customer ON oauth_disconnections (customer_id, disconnected_at);
