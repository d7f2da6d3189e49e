-- Transactional email outbox: one row per mail, written in the transaction of the change it reports.
-- status: pending (to send; due at available_at), sending (claimed by a worker until
-- lease_expires_at; an expired lease is claimed again), sent, dead (gave up: reason in last_error),
-- suppressed (the recipient is on the suppression list; not sent).
CREATE TABLE outbox_messages (
    id                   TEXT PRIMARY KEY,
    dedupe_key           TEXT NOT NULL UNIQUE,
    template             TEXT NOT NULL,
    recipient            TEXT NOT NULL,
    recipient_name       TEXT,
    customer_id          TEXT,
    data                 TEXT NOT NULL,
    status               TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'dead', 'suppressed')),
    attempts             INTEGER NOT NULL DEFAULT 0,
    available_at         TEXT NOT NULL,
    lease_owner          TEXT,
    lease_expires_at     TEXT,
    last_error           TEXT,
    note                 TEXT,
    provider_message_id  TEXT,
    sent_at              TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);
-- The worker's claim: due pending mail, and leases that ran out.
CREATE INDEX outbox_messages_due ON outbox_messages (available_at, id) WHERE status = 'pending';
CREATE INDEX outbox_messages_leased ON outbox_messages (lease_expires_at) WHERE status = 'sending';
-- Listing, newest first, optionally by status.
CREATE INDEX outbox_messages_created ON outbox_messages (created_at, id);
CREATE INDEX outbox_messages_status ON outbox_messages (status, created_at, id);

-- Addresses never mailed: hard bounces (added by the worker when a server refuses a recipient
-- for good), complaints and manual entries. Addresses are stored lower-cased.
CREATE TABLE mail_suppressions (
    address     TEXT PRIMARY KEY,
    reason      TEXT NOT NULL CHECK (reason IN ('hard_bounce', 'complaint', 'manual')),
    note        TEXT,
    created_at  TEXT NOT NULL
);
