-- The console's 30-day usage chart of a customer (issue 19) sums the customer's events per feature
-- and day: a range of usage_events_customer (customer_id, recorded_at) that then read every event's
-- row for its feature and quantity — 100,000 heap rows for a customer with a tenth of a million
-- events (scripts/bench-console). The index now carries both (INCLUDE: kept in the leaves, not
-- ordered by), so an index-only scan answers it (and the usage exporter's walk into the same index,
-- which reads the same columns). It replaces the narrower index rather than adding one: the hot
-- write path keeps its three.
DROP INDEX usage_events_customer;
CREATE INDEX usage_events_customer ON usage_events (customer_id, recorded_at) INCLUDE (feature_key, quantity);
