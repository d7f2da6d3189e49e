import Foundation
import Tollgate
import TollgateCrypto
import TollgateStore

/// The credit accounts one transaction changes (docs/credits.md): it locks them
/// (``open(_:floors:on:now:)``, always in one order), keeps their live blocks in memory, decides and
/// applies every change there, and writes what changed at the end (``flush(on:)``): blocks, holds,
/// ledger entries and accounts, a few statements however many changes. Every change goes through
/// here, so the ledger always explains the balance: each entry's `amount` is the change to the
/// balance (live blocks' remaining less debt), its `heldChange` the change to what holds reserve.
final class CreditBook {
    /// An account's key: a customer (the store's id) and a pool.
    struct Key: Hashable, Comparable {
        var customerID: String
        var pool: String

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.customerID, lhs.pool) < (rhs.customerID, rhs.pool)
        }
    }

    /// One locked account as it stands in this transaction.
    struct Account {
        var held: Int64
        var debt: Int64
        var seq: Int64
        var at: Date
        var floor: Int64
        /// Live blocks, in burn order.
        var blocks: [CreditBlock]

        var balance: Int64 { blocks.reduce(0) { $0 + $1.remaining } - debt }
        var available: Int64 { balance - held - floor }
    }

    private(set) var accounts: [Key: Account] = [:]
    /// Blocks changed in this transaction: what is left, and when its expiry was recorded.
    private var changedBlocks: [String: (key: Key, remaining: Int64, expiredAt: Date?)] = [:]
    private var newBlocks: [(key: Key, block: CreditBlock)] = []
    private var entries: [(key: Key, entry: CreditLedgerEntry)] = []
    private var touched: Set<Key> = []
    /// Each account's available credits when it was opened (before recording what had expired).
    private var opened: [Key: Int64] = [:]

    /// Locks `keys` (creating their accounts), in one order everywhere so two transactions never
    /// wait on each other crosswise; loads their live blocks and records what ran out since they
    /// were last touched (blocks past their expiry, holds past theirs). `floors` gives each pool's
    /// overage floor (0: stop at empty).
    static func open(_ keys: Set<Key>, floors: [String: Int64], on connection: any SQLConnection, now: Date) throws -> CreditBook {
        let book = CreditBook()
        try book.lock(keys, floors: floors, on: connection, now: now)
        return book
    }

    /// Locks more accounts in this transaction (after the ones already open: callers that lock in
    /// two steps must keep one order themselves). With `skippingLocked`, an account another
    /// transaction holds is passed over instead of waited for (PostgreSQL's `SKIP LOCKED`): for work
    /// that must never wait, such as the scheduler's. Returns the accounts now open.
    @discardableResult
    func lock(
        _ keys: Set<Key>, floors: [String: Int64], skippingLocked: Bool = false, on connection: any SQLConnection, now: Date
    ) throws -> Set<Key> {
        let sorted = keys.filter { accounts[$0] == nil }.sorted()
        guard !sorted.isEmpty else { return Set(accounts.keys).intersection(keys) }
        // A few statements for the lot, however many accounts (one usage batch may name thousands):
        // create the missing accounts, lock them in one order, read their live blocks and the holds
        // that ran out.
        var blocks: [Key: [CreditBlock]] = [:]
        var lapsedHolds: [Key: [(id: String, amount: Int64, expiry: Date)]] = [:]
        for range in UsageRepository.chunks(sorted.count, dialect: connection.dialect) {
            let chunk = sorted[range]
            // Lock those that exist (nearly all, nearly always); create the others, then lock them.
            var locked = try lockExisting(chunk, floors: floors, skippingLocked: skippingLocked, on: connection)
            let missing = chunk.filter { accounts[$0] == nil }
            if !missing.isEmpty {
                var insert = RowsStatement("INSERT INTO credit_accounts (customer_id, pool, held, debt, last_seq, last_at) VALUES ")
                for key in missing { insert.row([key.customerID.sqlValue, key.pool.sqlValue, .integer(0), .integer(0), .integer(0), now.sqlValue]) }
                try connection.execute(insert.sql(tail: " ON CONFLICT (customer_id, pool) DO NOTHING"))
                locked += try lockExisting(missing[...], floors: floors, skippingLocked: skippingLocked, on: connection)
            }
            if !skippingLocked, locked.count != chunk.count { throw StoreError(.decoding, "credit account vanished") }
            guard !locked.isEmpty else { continue }

            var blockQuery = RowsStatement("""
                SELECT customer_id, id, pool, source, amount, remaining, priority, effective_at, expires_at, reference, reason, created_at
                FROM credit_blocks WHERE remaining > 0 AND expired_at IS NULL AND (customer_id, pool) IN (
                """)
            for key in locked { blockQuery.row([key.customerID.sqlValue, key.pool.sqlValue]) }
            for row in try connection.query(blockQuery.sql(tail: ")")) {
                let block = try CreditStore.block(from: row)
                blocks[Key(customerID: try row.get("customer_id"), pool: block.pool), default: []].append(block)
            }
            var holdQuery = RowsStatement("SELECT id, customer_id, pool, amount, expires_at FROM credit_holds WHERE status = 'open' AND expires_at <= ")
            holdQuery.bind(now.sqlValue)
            holdQuery.append(" AND (customer_id, pool) IN (")
            for key in locked { holdQuery.row([key.customerID.sqlValue, key.pool.sqlValue]) }
            for row in try connection.query(holdQuery.sql(tail: ")")) {
                let key = Key(customerID: try row.get("customer_id"), pool: try row.get("pool"))
                lapsedHolds[key, default: []].append((try row.get("id"), try row.get("amount"), try row.get("expires_at")))
            }
        }
        for key in sorted where accounts[key] != nil {
            let loaded = blocks[key] ?? []
            accounts[key]!.blocks = loaded.sorted(by: CreditBlock.burnsBefore)
            opened[key] = accounts[key]!.available
            try expire(key, blocks: loaded, holds: lapsedHolds[key] ?? [], on: connection, now: now)
            accounts[key]!.blocks.removeAll { !$0.isLive(at: now) }
        }
        return Set(accounts.keys).intersection(keys)
    }

    /// Locks and reads those of `keys` whose account exists (in one order), opening them.
    private func lockExisting(
        _ keys: ArraySlice<Key>, floors: [String: Int64], skippingLocked: Bool, on connection: any SQLConnection
    ) throws -> [Key] {
        let clause = skippingLocked ? connection.dialect.claimRowsClause : connection.dialect.lockRowsClause
        var select = RowsStatement("SELECT customer_id, pool, held, debt, last_seq, last_at FROM credit_accounts WHERE (customer_id, pool) IN (")
        for key in keys { select.row([key.customerID.sqlValue, key.pool.sqlValue]) }
        var locked: [Key] = []
        for row in try connection.query(select.sql(tail: ") ORDER BY customer_id, pool" + clause)) {
            let key = Key(customerID: try row.get("customer_id"), pool: try row.get("pool"))
            locked.append(key)
            accounts[key] = Account(
                held: try row.get("held"), debt: try row.get("debt"), seq: try row.get("last_seq"), at: try row.get("last_at"),
                floor: floors[key.pool] ?? 0, blocks: [])
        }
        return locked
    }

    /// Records the blocks that expired and the holds that ran out, each at its own instant.
    private func expire(
        _ key: Key, blocks: [CreditBlock], holds: [(id: String, amount: Int64, expiry: Date)], on connection: any SQLConnection, now: Date
    ) throws {
        var lapses: [(at: Date, apply: () -> Void)] = []
        for block in blocks {
            guard let expiry = block.expiresAt, expiry <= now else { continue }
            lapses.append((expiry, { [self] in
                // The block keeps what expired (a plan's rollover reads it); it is no longer live.
                accounts[key]!.blocks.removeAll { $0.id == block.id }
                changedBlocks[block.id] = (key, block.remaining, expiry)
                append(key, block: block.id, amount: -block.remaining, held: 0, cause: .expiry, reference: nil, at: expiry)
            }))
        }
        for hold in holds {
            try connection.execute("UPDATE credit_holds SET status = 'expired', settled_at = \(hold.expiry) WHERE id = \(hold.id)")
            lapses.append((hold.expiry, { [self] in
                append(key, block: nil, amount: 0, held: -hold.amount, cause: .holdExpired, reference: hold.id, at: hold.expiry)
            }))
        }
        for lapse in lapses.sorted(by: { $0.at < $1.at }) { lapse.apply() }
    }

    private func remove(_ blockID: String, from key: Key) {
        accounts[key]!.blocks.removeAll { $0.id == blockID }
        changedBlocks[blockID] = (key, 0, nil)
    }

    func account(_ key: Key) -> Account? { accounts[key] }

    // MARK: Changes

    /// Adds a block (already checked not to exist), effective now: it first repays any debt.
    func add(_ block: CreditBlock, to key: Key, now: Date) {
        var added = block
        let repaid = min(accounts[key]!.debt, added.remaining)
        added.remaining -= repaid
        accounts[key]!.debt -= repaid
        newBlocks.append((key, added))
        if added.isLive(at: now) {
            accounts[key]!.blocks.append(added)
            accounts[key]!.blocks.sort(by: CreditBlock.burnsBefore)
        }
        append(key, block: block.id, amount: block.amount, held: 0, cause: .added, reference: block.reference, at: now)
    }

    /// Spends `amount` from the account: the blocks in burn order, then (only when `force` or the
    /// floor allows) debt. Returns false, changing nothing, when it is not `force`d and the account's
    /// available credits do not cover it.
    @discardableResult
    func spend(_ amount: Int64, from key: Key, cause: CreditCause, reference: String?, force: Bool = false, now: Date) -> Bool {
        guard amount > 0 else { return true }
        guard force || amount <= accounts[key]!.available else { return false }
        var left = amount
        var index = 0
        while left > 0, index < accounts[key]!.blocks.count {
            let take = min(left, accounts[key]!.blocks[index].remaining)
            accounts[key]!.blocks[index].remaining -= take
            let block = accounts[key]!.blocks[index]
            changedBlocks[block.id] = (key, block.remaining, nil)
            left -= take
            append(key, block: block.id, amount: -take, held: 0, cause: cause, reference: reference, at: now)
            index += 1
        }
        accounts[key]!.blocks.removeAll { $0.remaining == 0 }
        if left > 0 {
            accounts[key]!.debt += left
            append(key, block: nil, amount: -left, held: 0, cause: cause, reference: reference, at: now)
        }
        return true
    }

    /// Takes back what is left of a live block (a refunded or disputed purchase); returns how much.
    @discardableResult
    func reverse(_ blockID: String, in key: Key, reference: String?, now: Date) -> Int64 {
        guard let block = accounts[key]!.blocks.first(where: { $0.id == blockID }), block.remaining > 0 else { return 0 }
        remove(block.id, from: key)
        append(key, block: block.id, amount: -block.remaining, held: 0, cause: .reversal, reference: reference, at: now)
        return block.remaining
    }

    /// Reserves `amount` for a hold; false when the available credits do not cover it.
    func reserve(_ amount: Int64, in key: Key, hold: String, now: Date) -> Bool {
        guard amount <= accounts[key]!.available else { return false }
        append(key, block: nil, amount: 0, held: amount, cause: .holdPlaced, reference: hold, at: now)
        return true
    }

    /// Ends a hold's reservation of `amount`, spending `spent` of it (a commit) or nothing.
    func settle(_ amount: Int64, spent: Int64, in key: Key, hold: String, cause: CreditCause, now: Date) {
        // The reservation ends first, so the spend is measured against a balance the hold no longer holds.
        append(key, block: nil, amount: 0, held: -amount, cause: cause, reference: hold, at: now)
        if spent > 0 { spend(spent, from: key, cause: cause, reference: hold, force: true, now: now) }
    }

    private func append(_ key: Key, block: String?, amount: Int64, held: Int64, cause: CreditCause, reference: String?, at instant: Date) {
        var account = accounts[key]!
        account.seq += 1
        account.held += held
        // Entries of one account never go back in time (an instance whose clock is behind stamps the last instant).
        account.at = max(account.at, instant)
        accounts[key] = account
        // The balance after: blocks already reflect a spend or an addition when this is called, except
        // an expiry, whose block is removed first. Either way the account's balance is the one after.
        let entry = CreditLedgerEntry(
            id: "cle_" + ((try? SecureRandom.token(20)) ?? UUID().uuidString), pool: key.pool, seq: account.seq, blockID: block,
            amount: amount, heldChange: held, cause: cause, reference: reference, balanceAfter: account.balance, heldAfter: account.held,
            createdAt: account.at)
        entries.append((key, entry))
        touched.insert(key)
    }

    // MARK: Period allowances

    /// Adds a plan's credits for the billing period `window` to the customer's open accounts in its
    /// pools, unless this plan's allowance for the period is there already (its reference is the plan
    /// and the period's start, so it is added once however many instances try). The first allowance
    /// of a period also carries over what the previous period's allowances left when they expired,
    /// up to the plan's `rollover_cap`. Allowance blocks expire with the period. Returns whether any
    /// block was added.
    @discardableResult
    func grantAllowances(
        _ credits: [String: PlanCredits], plan: String, window: UsageWindow, customerID: String, on connection: any SQLConnection, now: Date
    ) throws -> Bool {
        guard let end = window.end else { return false }
        var added = false
        for (pool, allowance) in credits.sorted(by: { $0.key < $1.key }) {
            let key = Key(customerID: customerID, pool: pool)
            guard accounts[key] != nil else { continue }
            let reference = "\(plan)@\(SQLTimestamp.format(window.start))"
            // Usually it is here already, among the live blocks just read: no query.
            if accounts[key]!.blocks.contains(where: { $0.source == .allowance && $0.reference == reference }) { continue }
            let thisPeriod = try connection.query("""
                SELECT reference FROM credit_blocks WHERE customer_id = \(customerID) AND pool = \(pool) AND source = 'allowance' AND expires_at = \(end)
                """).map { try $0.get("reference", as: String.self) }
            guard !thisPeriod.contains(reference), !newBlocks.contains(where: { $0.key == key && $0.block.reference == reference }) else { continue }
            var amount = allowance.perPeriod
            let first = thisPeriod.isEmpty && !newBlocks.contains(where: { $0.key == key && $0.block.source == .allowance && $0.block.expiresAt == end })
            if first, let cap = allowance.rolloverCap, cap > 0 {
                let left: Int64 = try connection.queryFirst("""
                    SELECT COALESCE(SUM(remaining), 0) AS left FROM credit_blocks
                    WHERE customer_id = \(customerID) AND pool = \(pool) AND source = 'allowance' AND expires_at = \(window.start)
                    """)?.get("left") ?? 0
                amount += min(cap, max(0, left))
            }
            guard amount > 0 else { continue }
            add(CreditBlock(
                id: "cb_" + (try SecureRandom.token(20)), pool: pool, source: .allowance, amount: amount, remaining: amount,
                priority: CreditSource.allowance.defaultPriority, effectiveAt: now, expiresAt: end, reference: reference,
                reason: "\(plan) credits for the period", createdAt: now), to: key, now: now)
            added = true
        }
        return added
    }

    // MARK: Alerts

    /// The accounts whose available credits this transaction took across a line: below the pool's
    /// `low_balance` (`lowBalances`), or to nothing (`credits.exhausted`). Computed from the
    /// account as it was opened and as it is now, inside the lock, so each crossing is seen once;
    /// going back up and down again is a new crossing.
    func crossings(lowBalances: [String: Int64]) -> [CreditAlert] {
        var alerts: [CreditAlert] = []
        for key in touched.sorted() {
            guard let before = opened[key], let account = accounts[key] else { continue }
            let after = account.available
            if let low = lowBalances[key.pool], before >= low, after < low {
                alerts.append(CreditAlert(key: key, kind: .low(low), balance: account.balance, held: account.held, available: after))
            }
            if before > 0, after <= 0 {
                alerts.append(CreditAlert(key: key, kind: .exhausted, balance: account.balance, held: account.held, available: after))
            }
        }
        return alerts
    }

    // MARK: Writing

    /// `column` as a `type` (PostgreSQL types a VALUES list's parameters as text; SQLite needs no cast).
    private static func cast(_ column: String, _ type: String, _ connection: any SQLConnection) -> String {
        connection.dialect == .postgres ? "CAST(\(column) AS \(type))" : column
    }

    /// Writes every change of this transaction; returns the ledger entries written.
    @discardableResult
    func flush(on connection: any SQLConnection) throws -> [(key: Key, entry: CreditLedgerEntry)] {
        for (key, block) in newBlocks {
            try connection.execute("""
                INSERT INTO credit_blocks (id, customer_id, pool, source, amount, remaining, priority, effective_at, expires_at, expired_at,
                    reference, reason, created_at)
                VALUES (\(block.id), \(key.customerID), \(key.pool), \(block.source.rawValue), \(block.amount),
                    \(changedBlocks[block.id]?.remaining ?? block.remaining), \(block.priority), \(block.effectiveAt), \(block.expiresAt),
                    \(changedBlocks[block.id]?.expiredAt), \(block.reference), \(block.reason), \(block.createdAt))
                """)
            changedBlocks[block.id] = nil
        }
        // Changed blocks and accounts: one `UPDATE … FROM (VALUES …)` each per chunk.
        let changes = changedBlocks.sorted(by: { $0.key < $1.key })
        for range in UsageRepository.chunks(changes.count, dialect: connection.dialect) {
            var update = RowsStatement("UPDATE credit_blocks SET remaining = \(Self.cast("v.column2", "BIGINT", connection)), "
                + "expired_at = \(Self.cast("v.column3", "TIMESTAMPTZ", connection)) FROM (VALUES ")
            for (id, change) in changes[range] { update.row([id.sqlValue, change.remaining.sqlValue, change.expiredAt.sqlValue]) }
            try connection.execute(update.sql(tail: ") AS v WHERE credit_blocks.id = v.column1"))
        }
        for chunk in stride(from: 0, to: entries.count, by: 50) {
            var statement = RowsStatement("""
                INSERT INTO credit_ledger (id, customer_id, pool, seq, block_id, amount, held_change, cause, reference, balance_after,
                    held_after, created_at) VALUES
                """)
            for (key, entry) in entries[chunk..<min(entries.count, chunk + 50)] {
                statement.row([
                    entry.id.sqlValue, key.customerID.sqlValue, key.pool.sqlValue, entry.seq.sqlValue, entry.blockID.sqlValue,
                    entry.amount.sqlValue, entry.heldChange.sqlValue, entry.cause.rawValue.sqlValue, entry.reference.sqlValue,
                    entry.balanceAfter.sqlValue, entry.heldAfter.sqlValue, entry.createdAt.sqlValue,
                ])
            }
            try connection.execute(statement.sql(tail: ""))
        }
        let dirty = touched.sorted()
        for range in UsageRepository.chunks(dirty.count, dialect: connection.dialect) {
            var update = RowsStatement("UPDATE credit_accounts SET held = \(Self.cast("v.column3", "BIGINT", connection)), "
                + "debt = \(Self.cast("v.column4", "BIGINT", connection)), last_seq = \(Self.cast("v.column5", "BIGINT", connection)), "
                + "last_at = \(Self.cast("v.column6", "TIMESTAMPTZ", connection)) FROM (VALUES ")
            for key in dirty[range] {
                let account = accounts[key]!
                update.row([
                    key.customerID.sqlValue, key.pool.sqlValue, account.held.sqlValue, account.debt.sqlValue, account.seq.sqlValue, account.at.sqlValue,
                ])
            }
            try connection.execute(update.sql(tail: ") AS v WHERE credit_accounts.customer_id = v.column1 AND credit_accounts.pool = v.column2"))
        }
        let written = entries
        newBlocks = []
        changedBlocks = [:]
        entries = []
        touched = []
        return written
    }
}
