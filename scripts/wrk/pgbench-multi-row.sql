-- pgbench: 100 rows per transaction in one multi-row INSERT, shaped like usage events.
INSERT INTO bench_events (customer_id, feature_key, quantity, idempotency_key, recorded_at)
SELECT (random() * 10000)::int, 'api.requests', 1, md5(random()::text), now() FROM generate_series(1, 100);
