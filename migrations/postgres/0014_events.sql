-- STUB (replaced by main's on merge).
CREATE TABLE events (
    position    BIGINT PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    customer    TEXT,
    sequence    BIGINT,
    created_at  TIMESTAMPTZ NOT NULL,
    data        TEXT NOT NULL
);
