-- Stripe customers that Stripe deleted (a customer.deleted event, or `tollgate stripe sync` finding
-- one deleted). A deleted Stripe customer is never linked to a Tollgate customer again: a late event
-- about it or its subscriptions still finds its Tollgate customer (through metadata or Tollgate's
-- own record of the subscription) but does not restore the link.
CREATE TABLE stripe_deleted_customers (
    stripe_customer_id  TEXT PRIMARY KEY,
    deleted_at          TEXT NOT NULL
);
