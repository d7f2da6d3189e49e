-- The event log (docs/events.md): one row per change another service may need to hear of, written
-- in the transaction of the change. `local_id` is the order rows were appended in; `position` is
-- the log's public order, assigned by the publisher in commit order (gap-free, 1, 2, 3, …), null
-- until then. `sequence` numbers one customer's events 1, 2, 3, … in commit order.
CREATE TABLE events (
    local_id     BIGSERIAL PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    position     BIGINT UNIQUE,
    type         TEXT NOT NULL,
    customer_id  TEXT,
    customer     TEXT,
    sequence     BIGINT,
    data         TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_unpublished ON events (local_id) WHERE position IS NULL;
CREATE INDEX events_customer ON events (customer, position);
CREATE INDEX events_created ON events (created_at);

-- The highest position published; its row is the publishers' lock (one publishes at a time).
CREATE TABLE event_log_head (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    position  BIGINT NOT NULL
);
INSERT INTO event_log_head (id, position) VALUES (1, 0);

-- The last `sequence` given to each customer's events (its row is locked while a change appends).
CREATE TABLE customer_event_sequences (
    customer_id  TEXT PRIMARY KEY,
    sequence     BIGINT NOT NULL
);

-- What `entitlements.updated` last announced of each customer (per feature: value, source, denial,
-- window; empty before the first announcement), when it was last evaluated, and when to evaluate it
-- next: at once after a change (a write marks it due in its transaction), else at the next instant at
-- which it changes by itself (a grant expiring, a trial or period ending, a grace running out, a
-- usage window resetting). Instances claim due rows one at a time each (FOR UPDATE SKIP LOCKED).
CREATE TABLE entitlement_announcements (
    customer_id     TEXT PRIMARY KEY,
    customer        TEXT NOT NULL,
    features        TEXT NOT NULL,
    etag            TEXT NOT NULL,
    next_change_at  TIMESTAMPTZ,
    evaluated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX entitlement_announcements_due ON entitlement_announcements (next_change_at) WHERE next_change_at IS NOT NULL;
