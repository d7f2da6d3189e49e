-- Admin console sessions (issue 19): one row per signed-in browser. id_hash is the SHA-256 (hex) of
-- the session id the cookie carries (the id itself is never stored); api_key_id is the key that
-- signed in (its scope is the session's, and revoking it ends the session at once: every request
-- reads the key); csrf_token is the value every form of the session carries; a session is valid
-- until expires_at (created_at + 12 h) or its sign-out, which deletes the row.
CREATE TABLE console_sessions (
    id_hash     TEXT PRIMARY KEY,
    api_key_id  TEXT NOT NULL REFERENCES api_keys (id),
    csrf_token  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_api_key ON console_sessions (api_key_id);

-- The console's customer page lists the mail sent to a customer, newest first.
CREATE INDEX outbox_messages_customer ON outbox_messages (customer_id, created_at);
