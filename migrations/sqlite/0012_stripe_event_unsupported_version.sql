-- A Stripe event rendered at an API version newer than the one Tollgate reads is stored and held,
-- not applied: status unsupported_version (its note names the version). `tollgate webhooks replay`
-- makes it pending again once Tollgate reads that version. SQLite cannot change a CHECK
-- constraint in place, so the inbox is rebuilt with the same columns, rows and indexes.
CREATE TABLE stripe_events_0012 (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    object_id        TEXT,
    created          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'ignored', 'failed', 'unsupported_version')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    note             TEXT,
    received_at      TEXT NOT NULL,
    applied_at       TEXT
);
INSERT INTO stripe_events_0012 (id, type, object_id, created, payload, status, attempts, next_attempt_at, last_error, note,
    received_at, applied_at)
SELECT id, type, object_id, created, payload, status, attempts, next_attempt_at, last_error, note, received_at, applied_at
FROM stripe_events;
DROP TABLE stripe_events;
ALTER TABLE stripe_events_0012 RENAME TO stripe_events;
-- The applier's claim: due pending events, oldest created first.
CREATE INDEX stripe_events_pending ON stripe_events (created, received_at, id) WHERE status = 'pending';
-- Listing, newest first, optionally by status (and the counts /metrics reports).
CREATE INDEX stripe_events_received ON stripe_events (received_at, id);
CREATE INDEX stripe_events_status ON stripe_events (status, received_at, id);
CREATE INDEX stripe_events_object ON stripe_events (object_id, created);
