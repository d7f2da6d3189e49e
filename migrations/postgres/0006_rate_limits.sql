-- GCRA state of the shared rate-limit backend: one theoretical arrival time (nanoseconds since
-- the Unix epoch on the database's clock) per customer and policy, or per API key.
CREATE TABLE rate_limit_buckets (
    key  TEXT PRIMARY KEY,
    tat  BIGINT NOT NULL
);
