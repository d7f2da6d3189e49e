-- The console's customer page and overview (issue 19).
--
-- Stripe events that named a customer: the Stripe customer an event's object names, kept when the
-- event is stored (intake reads it from the payload it already parses: the object's own id for a
-- customer, else its `customer`, expanded or not, else its `customer_account`), so the customer
-- page finds a customer's events by index — invoices, checkout sessions and payment intents too,
-- which `object_id` does not link. Events stored before this migration are read once here, as
-- `json`; PostgreSQL refuses the escape \u0000 in a text it reads as JSON, so it is read as
-- \ufffd (the replacement keeps a backslash, a `u` and four hex digits wherever the text matched,
-- so the JSON stays valid; the ids read never hold it).
ALTER TABLE stripe_events ADD COLUMN stripe_customer_id TEXT;
UPDATE stripe_events SET stripe_customer_id = linked.customer
FROM (
    SELECT id, CASE
            WHEN object ->> 'object' = 'customer' THEN object ->> 'id'
            WHEN json_typeof(object -> 'customer') = 'string' THEN object ->> 'customer'
            WHEN json_typeof(object -> 'customer') = 'object' THEN object -> 'customer' ->> 'id'
            WHEN json_typeof(object -> 'customer_account') = 'string' THEN object ->> 'customer_account'
        END AS customer
    FROM (SELECT id, replace(payload, '\u0000', '\ufffd')::json -> 'data' -> 'object' AS object FROM stripe_events) AS events
) AS linked
WHERE linked.id = stripe_events.id AND linked.customer IS NOT NULL;
CREATE INDEX stripe_events_stripe_customer ON stripe_events (stripe_customer_id, created) WHERE stripe_customer_id IS NOT NULL;

-- The overview's chart of subscriptions started and canceled, by day.
CREATE INDEX subscription_history_changed ON subscription_history (changed_at);

-- The customer page's outbound events: their deliveries to the webhook endpoints.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
