-- The catalog (features and plans), written as a whole by `tollgate plans apply`.
CREATE TABLE features (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('boolean', 'limit', 'metered')),
    reset       TEXT CHECK (reset IN ('day', 'month', 'billing_period', 'never')),
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE plans (
    key         TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    trial_days  INTEGER NOT NULL CHECK (trial_days >= 0),
    is_default  BOOLEAN NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE plan_prices (
    plan_key     TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    interval     TEXT NOT NULL CHECK (interval IN ('month', 'year')),
    currency     TEXT NOT NULL,
    unit_amount  BIGINT NOT NULL CHECK (unit_amount >= 0),
    PRIMARY KEY (plan_key, interval, currency)
);

-- value: 'true', 'unlimited', or a whole number as text.
CREATE TABLE plan_entitlements (
    plan_key     TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    feature_key  TEXT NOT NULL REFERENCES features (key),
    value        TEXT NOT NULL,
    PRIMARY KEY (plan_key, feature_key)
);

CREATE TABLE plan_rate_limits (
    plan_key        TEXT NOT NULL REFERENCES plans (key) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    "limit"         INTEGER NOT NULL CHECK ("limit" > 0),
    window_seconds  INTEGER NOT NULL CHECK (window_seconds > 0),
    burst           INTEGER NOT NULL CHECK (burst > 0),
    PRIMARY KEY (plan_key, name)
);

-- Bumped by every apply that changes something: instances reload the catalog when it moves.
CREATE TABLE catalog_revision (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    revision  BIGINT NOT NULL
);
INSERT INTO catalog_revision (id, revision) VALUES (1, 0);
