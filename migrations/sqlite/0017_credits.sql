-- Credits (docs/credits.md). The catalog's side: the pools (with their overage floor and the packs
-- for sale, as JSON), the pool and cost per unit of a credit-priced feature, and the credits each
-- plan grants per period (JSON: pool → {per_period, rollover_cap}).
CREATE TABLE credit_pools (
    key            TEXT PRIMARY KEY,
    name           TEXT NOT NULL,
    overage_floor  BIGINT NOT NULL,
    low_balance    BIGINT,
    packs          TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
ALTER TABLE features ADD COLUMN credits TEXT;
ALTER TABLE plans ADD COLUMN credits TEXT;

-- A customer's account in a pool: its row is the lock every change to the pool's balance takes.
-- `held` is what open holds reserve; `debt` what was spent beyond the blocks (overage, repaid first
-- from the next credits added); `last_seq` numbers the account's ledger entries 1, 2, 3, …
CREATE TABLE credit_accounts (
    customer_id  TEXT NOT NULL,
    pool         TEXT NOT NULL,
    held         BIGINT NOT NULL,
    debt         BIGINT NOT NULL,
    last_seq     BIGINT NOT NULL,
    last_at      TEXT NOT NULL,
    PRIMARY KEY (customer_id, pool)
);

-- Blocks of credits: amount added, what is left, burn order (priority, then soonest expiry, then
-- oldest), and what added it (`reference`: the grant, the Checkout session, the period), at most once.
-- `expired_at` is set when the block's expiry is recorded in the ledger; `remaining` then keeps what
-- expired (what a plan's rollover carries over).
CREATE TABLE credit_blocks (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    pool          TEXT NOT NULL,
    source        TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    remaining     BIGINT NOT NULL,
    priority      INTEGER NOT NULL,
    effective_at  TEXT NOT NULL,
    expires_at    TEXT,
    expired_at    TEXT,
    reference     TEXT NOT NULL,
    reason        TEXT,
    created_at    TEXT NOT NULL,
    UNIQUE (customer_id, pool, source, reference)
);
CREATE INDEX credit_blocks_live ON credit_blocks (customer_id, pool) WHERE remaining > 0 AND expired_at IS NULL;

-- The ledger: every change to an account, append-only, numbered per account (`seq`), with the
-- balance and the held amount after it. `amount` is signed; `block_id` is null for debt.
CREATE TABLE credit_ledger (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    pool           TEXT NOT NULL,
    seq            BIGINT NOT NULL,
    block_id       TEXT,
    amount         BIGINT NOT NULL,
    held_change    BIGINT NOT NULL,
    cause          TEXT NOT NULL,
    reference      TEXT,
    balance_after  BIGINT NOT NULL,
    held_after     BIGINT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (customer_id, pool, seq)
);

-- Holds: an amount reserved until committed (for at most the amount), released, or expired.
CREATE TABLE credit_holds (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL,
    pool             TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    status           TEXT NOT NULL,
    settled_amount   BIGINT,
    idempotency_key  TEXT,
    reason           TEXT,
    expires_at       TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    settled_at       TEXT,
    UNIQUE (customer_id, pool, idempotency_key)
);
CREATE INDEX credit_holds_open ON credit_holds (expires_at) WHERE status = 'open';
