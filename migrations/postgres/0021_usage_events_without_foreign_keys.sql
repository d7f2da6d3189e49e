-- Usage events keep no foreign keys of their own (issue 14): each is written in the transaction
-- that adds its quantity to its counter, and the counter's foreign keys hold the customer and the
-- feature (so a feature with usage still cannot be removed). Checking them again for every event
-- took a third of PostgreSQL's time per event in a one-customer usage storm (a KEY SHARE lock on
-- the customer's and the feature's rows per event).
ALTER TABLE usage_events DROP CONSTRAINT IF EXISTS usage_events_customer_id_fkey;
ALTER TABLE usage_events DROP CONSTRAINT IF EXISTS usage_events_feature_key_fkey;
