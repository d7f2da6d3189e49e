-- STUB (replaced by main's on merge).
CREATE TABLE events (
    position    INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    customer    TEXT,
    sequence    INTEGER,
    created_at  TEXT NOT NULL,
    data        TEXT NOT NULL
);
