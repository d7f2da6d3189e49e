-- Credit purchases and top-ups through Stripe (docs/credits.md, "Purchases and top-ups").
--
-- One row per paid PaymentIntent that added (or is to add) a block: the pack bought, the block's
-- source and reference (the Checkout Session id for a pack bought through Checkout, the
-- PaymentIntent id for a top-up), so that a refund or a dispute, which name the PaymentIntent, find
-- the block. A refund or dispute that arrives before the purchase is recorded here too (customer
-- unknown yet: `reversed_at` set, the rest null), and the purchase, when it lands, is taken back at once.
CREATE TABLE credit_purchases (
    payment_intent   TEXT PRIMARY KEY,
    customer_id      TEXT,
    pool             TEXT,
    pack             TEXT,
    source           TEXT,
    reference        TEXT,
    credits          BIGINT,
    amount           BIGINT,
    currency         TEXT,
    amount_refunded  BIGINT NOT NULL DEFAULT 0,
    reversed_at      TEXT,
    reversal_cause   TEXT,
    reversed_credits BIGINT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX credit_purchases_block ON credit_purchases (customer_id, pool, source, reference);

-- Automatic top-up per customer and pool: when the available credits fall below `threshold` while
-- `armed` (1), the worker disarms the row (at most one charge per crossing, `crossing` counts them)
-- and charges `pack` off-session; the row is armed again once the balance is seen at or above the
-- threshold. The last attempt's instant, status (pending, succeeded, processing, requires_action,
-- failed), error and PaymentIntent are kept for the operator.
CREATE TABLE credit_top_ups (
    customer_id          TEXT NOT NULL,
    pool                 TEXT NOT NULL,
    enabled              INTEGER NOT NULL,
    threshold            BIGINT NOT NULL,
    pack                 TEXT NOT NULL,
    armed                INTEGER NOT NULL,
    crossing             BIGINT NOT NULL DEFAULT 0,
    last_attempt_at      TEXT,
    last_status          TEXT,
    last_error           TEXT,
    last_payment_intent  TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (customer_id, pool)
);
