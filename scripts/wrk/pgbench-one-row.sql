-- pgbench: one row per transaction, shaped like a usage event (unique key checked).
\set c random(1, 10000)
INSERT INTO bench_events (customer_id, feature_key, quantity, idempotency_key, recorded_at)
VALUES (:c, 'api.requests', 1, md5(random()::text), now());
