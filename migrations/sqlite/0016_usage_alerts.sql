-- Usage alerts (docs/events.md): the percentages of the allowance at which a metered feature's usage
-- is announced (per feature; the catalog's default for a feature that names none), as JSON arrays.
ALTER TABLE features ADD COLUMN alerts TEXT;
ALTER TABLE catalog_revision ADD COLUMN default_alerts TEXT;

-- Each alert fired: once per customer, feature, window, allowance and threshold (kind 'threshold',
-- or 'limit' when usage reached the allowance). A grant that changes the allowance re-arms them.
CREATE TABLE usage_alerts (
    customer_id   TEXT NOT NULL,
    feature_key   TEXT NOT NULL,
    window_start  TEXT NOT NULL,
    allowance     BIGINT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('threshold', 'limit')),
    threshold     INTEGER NOT NULL,
    used          BIGINT NOT NULL,
    fired_at      TEXT NOT NULL,
    PRIMARY KEY (customer_id, feature_key, window_start, allowance, kind, threshold)
);
