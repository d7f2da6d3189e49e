-- Webhook endpoints (issue 15): where Tollgate sends the event log as Standard Webhooks.
-- status: enabled, or disabled (by an operator, or by the delivery worker after every delivery
-- failed for days: reason in disabled_reason). event_types: a JSON array of event types, or ["*"].
-- secret signs every delivery; previous_secret signs alongside it until previous_secret_expires_at
-- (a rotation's overlap). cursor: the last event-log position handed to this endpoint (the log's
-- head when it was created). failing_since: the first failure since the last success (NULL while
-- deliveries succeed). lease_owner/lease_expires_at: the worker that holds the endpoint (fan-out and
-- delivery, one request in flight); an expired lease is claimed again.
CREATE TABLE webhook_endpoints (
    id                          TEXT PRIMARY KEY,
    url                         TEXT NOT NULL,
    description                 TEXT,
    event_types                 TEXT NOT NULL,
    status                      TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
    disabled_reason             TEXT,
    secret                      TEXT NOT NULL,
    previous_secret             TEXT,
    previous_secret_expires_at  TEXT,
    cursor                      INTEGER NOT NULL,
    failing_since               TEXT,
    lease_owner                 TEXT,
    lease_expires_at            TEXT,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);
CREATE INDEX webhook_endpoints_created ON webhook_endpoints (created_at, id);

-- One event handed to one endpoint. status: pending (due at next_attempt_at), delivering (a worker
-- holds it until lease_expires_at; an expired lease is delivered again), succeeded, failed (retries
-- ran out: retry_from, when the delivery was queued or redelivered, is where the retry window
-- starts). event_position is NULL for a test event. payload: the exact body signed and sent.
-- last_error never holds a secret.
CREATE TABLE webhook_deliveries (
    id                  TEXT PRIMARY KEY,
    endpoint_id         TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id            TEXT NOT NULL,
    event_type          TEXT NOT NULL,
    event_position      INTEGER,
    payload             TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed')),
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT NOT NULL,
    retry_from          TEXT NOT NULL,
    lease_owner         TEXT,
    lease_expires_at    TEXT,
    last_status_code    INTEGER,
    last_latency_ms     INTEGER,
    last_error          TEXT,
    last_attempt_at     TEXT,
    delivered_at        TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
-- The worker: an endpoint's due deliveries in log order.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (endpoint_id, status, next_attempt_at);
-- Listing an endpoint's deliveries, newest first.
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at, id);
-- Retention.
CREATE INDEX webhook_deliveries_updated ON webhook_deliveries (updated_at) WHERE status IN ('succeeded', 'failed');
