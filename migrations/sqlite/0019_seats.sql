-- Seats (docs/seats.md). The catalog's side: a plan's per-unit limit of a limit feature is stored
-- in its entitlement row as JSON (`{"per_unit": 3, "base": 0, "max": 100}`), `value` then
-- reading 'per_unit'.
ALTER TABLE plan_entitlements ADD COLUMN per_unit TEXT;

-- A customer's seats of one limit feature: the row every assignment and release locks first, so
-- the count it keeps (`assigned`) is decided by one transaction at a time. `over_limit_since` is
-- set when the limit was found below `assigned` and `seats.over_limit` announced, and cleared
-- when the holders fit again (one announcement per crossing).
CREATE TABLE seat_limits (
    customer_id       TEXT NOT NULL,
    feature_key       TEXT NOT NULL,
    assigned          BIGINT NOT NULL,
    over_limit_since  TEXT,
    PRIMARY KEY (customer_id, feature_key)
);

-- Who holds a seat: a member (the SaaS's user id) at most once per customer and feature, listed by
-- member (keyset pagination).
CREATE TABLE seat_assignments (
    customer_id  TEXT NOT NULL,
    feature_key  TEXT NOT NULL,
    member       TEXT NOT NULL,
    assigned_at  TEXT NOT NULL,
    PRIMARY KEY (customer_id, feature_key, member)
);

-- Quantity from seats: a plan's `seat_billing` (JSON: `{"feature", "proration_behavior"}`), and per
-- Stripe subscription what the sync worker last sent (`pushed_quantity` at `pushed_at`: at most one
-- update per interval) and its lease while a request is in flight (`lease_until`), so that one
-- instance at a time updates a subscription.
ALTER TABLE plans ADD COLUMN seat_billing TEXT;
CREATE TABLE seat_quantity_syncs (
    subscription_id  TEXT PRIMARY KEY,
    pushed_quantity  BIGINT,
    pushed_at        TEXT,
    lease_until      TEXT,
    last_error       TEXT
);
