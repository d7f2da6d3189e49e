-- Subscription history in commit order: seq numbers each customer's entries 1, 2, 3, … and is
-- assigned by the writer after it holds the customer's subscription row (PostgreSQL's row lock,
-- SQLite's write lock), so it follows the order in which changes commit, whatever the clocks of
-- the instances that wrote them. Existing entries are numbered in their old order (changed_at, id).
ALTER TABLE subscription_history ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
UPDATE subscription_history SET seq = (
    SELECT COUNT(*) FROM subscription_history earlier
    WHERE earlier.customer_id = subscription_history.customer_id
        AND (earlier.changed_at < subscription_history.changed_at
            OR (earlier.changed_at = subscription_history.changed_at AND earlier.id <= subscription_history.id)));
DROP INDEX subscription_history_customer;
CREATE UNIQUE INDEX subscription_history_customer_seq ON subscription_history (customer_id, seq);
