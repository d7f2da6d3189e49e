-- Stripe webhook inbox: every verified event, stored once by Stripe's id before it is applied.
-- status: pending (to apply; due at next_attempt_at), applied (its effect committed in the same
-- transaction; note says when it was stale or had nothing to change), ignored (a type Tollgate does
-- not handle), failed (gave up after the configured attempts; `tollgate webhooks replay` retries).
CREATE TABLE stripe_events (
    id               TEXT PRIMARY KEY,
    type             TEXT NOT NULL,
    object_id        TEXT,
    created          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'ignored', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    note             TEXT,
    received_at      TEXT NOT NULL,
    applied_at       TEXT
);
-- The applier's claim: due pending events, oldest created first.
CREATE INDEX stripe_events_pending ON stripe_events (created, received_at, id) WHERE status = 'pending';
-- Listing, newest first, optionally by status.
CREATE INDEX stripe_events_received ON stripe_events (received_at, id);
CREATE INDEX stripe_events_status ON stripe_events (status, received_at, id);
CREATE INDEX stripe_events_object ON stripe_events (object_id, created);

-- The ordering guard: the newest event applied to each Stripe object (subscription, customer,
-- entitlement summary). An older event for the object is marked applied as stale, not applied.
CREATE TABLE stripe_object_versions (
    object_id           TEXT PRIMARY KEY,
    last_event_created  TEXT NOT NULL,
    last_event_id       TEXT NOT NULL
);

-- Stripe Entitlements: the latest active entitlement summary of each Stripe customer, as sent
-- (entitlements.active_entitlement_summary.updated), kept for operators and reconciliation.
CREATE TABLE stripe_entitlement_summaries (
    stripe_customer_id  TEXT PRIMARY KEY,
    summary             TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
