-- Customers marked due for evaluation (issue 14): a write that may change what a customer may do
-- appends a row here in its own transaction — an insert, never an update, so it never waits on a
-- customer's announcement row while a scheduler holds it. The scheduler folds the rows into
-- entitlement_announcements.next_change_at (the earliest instant wins) and deletes them, in a
-- transaction of its own, before it claims the customers due. `due_at` is the write's instant plus
-- the settle time.
CREATE TABLE entitlement_announcement_due (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  TEXT NOT NULL,
    customer     TEXT NOT NULL,
    due_at       TEXT NOT NULL
);
