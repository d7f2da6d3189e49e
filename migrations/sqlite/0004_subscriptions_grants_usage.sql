-- The customer's current subscription (one row per customer) and every state it went through.
CREATE TABLE subscriptions (
    id                      TEXT PRIMARY KEY,
    customer_id             TEXT NOT NULL UNIQUE REFERENCES customers (id),
    plan_key                TEXT NOT NULL REFERENCES plans (key),
    status                  TEXT NOT NULL CHECK (status IN ('trialing', 'active', 'past_due', 'incomplete',
                                'incomplete_expired', 'unpaid', 'canceled', 'paused')),
    quantity                INTEGER NOT NULL CHECK (quantity > 0),
    current_period_start    TEXT,
    current_period_end      TEXT,
    cancel_at_period_end    INTEGER NOT NULL,
    trial_end               TEXT,
    past_due_since          TEXT,
    stripe_subscription_id  TEXT UNIQUE,
    created_at              TEXT NOT NULL,
    updated_at              TEXT NOT NULL
);

CREATE TABLE subscription_history (
    id                    TEXT PRIMARY KEY,
    subscription_id       TEXT NOT NULL REFERENCES subscriptions (id),
    customer_id           TEXT NOT NULL REFERENCES customers (id),
    plan_key              TEXT NOT NULL,
    status                TEXT NOT NULL,
    quantity              INTEGER NOT NULL,
    current_period_start  TEXT,
    current_period_end    TEXT,
    cancel_at_period_end  INTEGER NOT NULL,
    trial_end             TEXT,
    source                TEXT NOT NULL,
    changed_at            TEXT NOT NULL
);
CREATE INDEX subscription_history_customer ON subscription_history (customer_id, changed_at);

-- Per-customer overrides of one feature. value: 'true', 'unlimited' or a whole number as text.
CREATE TABLE grants (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL REFERENCES customers (id),
    feature_key  TEXT NOT NULL REFERENCES features (key),
    value        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    granted_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT
);
CREATE INDEX grants_customer ON grants (customer_id, created_at);

-- Metered usage: one counter per customer, feature and usage window (checked and bumped in one
-- conditional UPDATE, so concurrent consumers never overspend), and the events behind it.
CREATE TABLE usage_counters (
    customer_id   TEXT NOT NULL REFERENCES customers (id),
    feature_key   TEXT NOT NULL REFERENCES features (key),
    window_start  TEXT NOT NULL,
    used          BIGINT NOT NULL CHECK (used >= 0),
    PRIMARY KEY (customer_id, feature_key, window_start)
);

CREATE TABLE usage_events (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES customers (id),
    feature_key      TEXT NOT NULL REFERENCES features (key),
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    window_start     TEXT NOT NULL,
    idempotency_key  TEXT,
    recorded_at      TEXT NOT NULL,
    UNIQUE (customer_id, feature_key, idempotency_key)
);
CREATE INDEX usage_events_customer ON usage_events (customer_id, recorded_at);
