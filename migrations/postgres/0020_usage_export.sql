-- Metered usage billed by Stripe (docs/usage-billing.md).
--
-- The catalog's side: a plan's per-unit prices of metered features (JSON: [{feature, price}]).
ALTER TABLE plans ADD COLUMN metered_prices TEXT;

-- Every meter event Tollgate decided to send, written before it is sent: one row per (customer,
-- feature, one-minute bucket of recorded_at, seq). seq 0 carries what the bucket held when it was
-- first exported; usage that lands in a bucket afterwards becomes seq 1, 2 … with only the
-- difference, so an identifier (derived from these four) is never sent with two values.
-- state: pending (to send), sent (Stripe accepted it, or answered that it already has the
-- identifier), late (the bucket's invoice had closed: reported, never sent), rejected (Stripe refused
-- it: too old, unknown customer …; reported, never retried).
CREATE TABLE usage_exports (
    identifier          TEXT PRIMARY KEY,
    customer_id         TEXT NOT NULL,
    feature_key         TEXT NOT NULL,
    bucket_start        TIMESTAMPTZ NOT NULL,
    seq                 INTEGER NOT NULL,
    stripe_customer_id  TEXT NOT NULL,
    quantity            BIGINT NOT NULL,
    state               TEXT NOT NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    error               TEXT,
    created_at          TIMESTAMPTZ NOT NULL,
    sent_at             TIMESTAMPTZ,
    UNIQUE (customer_id, feature_key, bucket_start, seq)
);
CREATE INDEX usage_exports_state ON usage_exports (state, bucket_start);
CREATE INDEX usage_exports_feature ON usage_exports (feature_key, bucket_start);

-- Per billed feature: usage recorded before scanned_to has been folded into usage_exports (the
-- exporter re-reads a look-back window before it for usage committed late, never before
-- exporting_since: the first pass that found the feature billed, so usage from before it was
-- billed is never exported).
CREATE TABLE usage_export_cursors (
    feature_key      TEXT PRIMARY KEY,
    exporting_since  TIMESTAMPTZ NOT NULL,
    scanned_to       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);

-- The exporters of several instances take turns through this one row: the holder plans and sends
-- until expires_at, renewing it every pass.
CREATE TABLE usage_export_lease (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    holder      TEXT,
    expires_at  TIMESTAMPTZ
);
INSERT INTO usage_export_lease (id, holder, expires_at) VALUES (1, NULL, NULL);

-- No index is added to usage_events (the hot write path): the exporter walks the Stripe-linked
-- customers into it through usage_events_customer (customer_id, recorded_at).
