-- Reservations of an Idempotency-Key hold a lease: the request that reserved the key
-- (lease_owner, a token per reservation) renews lease_expires_at while it runs. A reservation
-- without a response whose lease ran out was left by a process that died: the next request with
-- the key takes it over. Rows written before this migration have no lease and keep the old rule
-- (held until the row expires).
ALTER TABLE idempotency_keys ADD COLUMN lease_owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_expires_at TEXT;
