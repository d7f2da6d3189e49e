-- Usage events keep no foreign keys of their own (issue 14): each is written in the transaction
-- that adds its quantity to its counter, and the counter's foreign keys hold the customer and the
-- feature (so a feature with usage still cannot be removed). Checking them again for every event
-- looked up the customer and the feature once more per event. SQLite drops a constraint by
-- rebuilding the table.
CREATE TABLE usage_events_rebuilt (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL,
    feature_key      TEXT NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    window_start     TEXT NOT NULL,
    idempotency_key  TEXT,
    recorded_at      TEXT NOT NULL,
    UNIQUE (customer_id, feature_key, idempotency_key)
);
INSERT INTO usage_events_rebuilt (id, customer_id, feature_key, quantity, window_start, idempotency_key, recorded_at)
SELECT id, customer_id, feature_key, quantity, window_start, idempotency_key, recorded_at FROM usage_events;
DROP TABLE usage_events;
ALTER TABLE usage_events_rebuilt RENAME TO usage_events;
CREATE INDEX usage_events_customer ON usage_events (customer_id, recorded_at);
