-- Every Stripe subscription of a customer as last mirrored from Stripe, so that which one is the
-- customer's current subscription (the `subscriptions` row) is a rule over all of them
-- (StripeSubscriptionPrecedence: access-granting status first, then the most recently created in
-- Stripe), not whichever was written last. started_at is the subscription's `created` in Stripe.
CREATE TABLE stripe_subscriptions (
    stripe_subscription_id  TEXT PRIMARY KEY,
    customer_id             TEXT NOT NULL REFERENCES customers (id),
    plan_key                TEXT NOT NULL,
    status                  TEXT NOT NULL,
    quantity                INTEGER NOT NULL CHECK (quantity > 0),
    current_period_start    TIMESTAMPTZ,
    current_period_end      TIMESTAMPTZ,
    cancel_at_period_end    BOOLEAN NOT NULL,
    trial_end               TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL
);
CREATE INDEX stripe_subscriptions_customer ON stripe_subscriptions (customer_id);

-- Subscriptions mirrored before this table existed: the current one, with its Stripe creation time
-- unknown, is taken as started when it was last written (updated_at) — after any subscription it
-- replaced, so a late event of an older one still ranks below it.
INSERT INTO stripe_subscriptions (stripe_subscription_id, customer_id, plan_key, status, quantity, current_period_start,
    current_period_end, cancel_at_period_end, trial_end, started_at, updated_at)
SELECT stripe_subscription_id, customer_id, plan_key, status, quantity, current_period_start, current_period_end,
    cancel_at_period_end, trial_end, updated_at, updated_at
FROM subscriptions WHERE stripe_subscription_id IS NOT NULL;
