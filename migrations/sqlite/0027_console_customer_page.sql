-- The console's customer page and overview (issue 19).
--
-- Stripe events that named a customer: the Stripe customer an event's object names, kept when the
-- event is stored (intake reads it from the payload it already parses: the object's own id for a
-- customer, else its `customer`, expanded or not, else its `customer_account`), so the customer
-- page finds a customer's events by index — invoices, checkout sessions and payment intents too,
-- which `object_id` does not link. Events stored before this migration are read once here.
ALTER TABLE stripe_events ADD COLUMN stripe_customer_id TEXT;
UPDATE stripe_events SET stripe_customer_id = CASE
        WHEN json_extract(payload, '$.data.object.object') = 'customer' THEN json_extract(payload, '$.data.object.id')
        WHEN json_type(payload, '$.data.object.customer') = 'text' THEN json_extract(payload, '$.data.object.customer')
        WHEN json_type(payload, '$.data.object.customer') = 'object' THEN json_extract(payload, '$.data.object.customer.id')
        WHEN json_type(payload, '$.data.object.customer_account') = 'text' THEN json_extract(payload, '$.data.object.customer_account')
    END
WHERE json_valid(payload);
CREATE INDEX stripe_events_stripe_customer ON stripe_events (stripe_customer_id, created) WHERE stripe_customer_id IS NOT NULL;

-- The overview's chart of subscriptions started and canceled, by day.
CREATE INDEX subscription_history_changed ON subscription_history (changed_at);

-- The customer page's outbound events: their deliveries to the webhook endpoints.
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);
