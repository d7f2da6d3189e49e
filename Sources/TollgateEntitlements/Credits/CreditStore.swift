package import Foundation
import Tollgate
import TollgateBase
import TollgateCrypto
package import TollgateStore

/// Customers' credits (docs/credits.md): balances and blocks, the ledger, promotional grants and
/// holds. Spending by usage goes through ``UsageMeter``, in the usage transaction; everything
/// changes balances through ``CreditBook``.
package struct CreditStore: Sendable {
    let database: any Database
    let catalogCache: CatalogCache
    /// Told the customer's external id after every committed change (the snapshot cache).
    let didChange: @Sendable (String) -> Void
    /// Told of each `credits.low` and `credits.exhausted` in its transaction (the mail).
    let alertObserver: CreditAlertObserver

    package init(
        database: any Database, catalogCache: CatalogCache, alertObserver: CreditAlertObserver = .none,
        didChange: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        self.database = database
        self.catalogCache = catalogCache
        self.alertObserver = alertObserver
        self.didChange = didChange
    }

    /// The longest a hold may last, and the default.
    package static let maximumHold: TimeInterval = 7 * 86_400
    package static let defaultHold: TimeInterval = 15 * 60

    // MARK: Reading

    /// The customer's accounts (every pool of the catalog, and any other they hold credits in), as
    /// they stand at `now`.
    package func accounts(customer externalID: String, now: Date = Date()) throws -> [CreditAccount] {
        try database.withConnection { connection in
            let customer = try Self.customer(externalID, on: connection)
            let catalog = try catalogCache.catalog(on: connection)
            return try Self.accounts(customerID: customer.id, catalog: catalog, on: connection, now: now)
        }
    }

    static func accounts(customerID: String, catalog: Catalog, on connection: any SQLConnection, now: Date) throws -> [CreditAccount] {
        try accountsAndHoldEnds(customerID: customerID, catalog: catalog, on: connection, now: now).accounts
    }

    /// The accounts, and when each pool's first open hold runs out.
    private static func accountsAndHoldEnds(
        customerID: String, catalog: Catalog, on connection: any SQLConnection, now: Date
    ) throws -> (accounts: [CreditAccount], holdEnds: [String: Date]) {
        var accounts: [String: CreditAccount] = [:]
        for pool in catalog.creditPools {
            accounts[pool.key] = CreditAccount(pool: pool.key, balance: 0, held: 0, debt: 0, available: -pool.overageFloor, blocks: [])
        }
        for row in try connection.query("SELECT pool, debt FROM credit_accounts WHERE customer_id = \(customerID)") {
            let pool: String = try row.get("pool")
            let debt: Int64 = try row.get("debt")
            accounts[pool, default: CreditAccount(pool: pool, balance: 0, held: 0, debt: 0, available: 0, blocks: [])].debt = debt
        }
        for row in try connection.query("""
            SELECT id, pool, source, amount, remaining, priority, effective_at, expires_at, reference, reason, created_at
            FROM credit_blocks WHERE customer_id = \(customerID) AND remaining > 0 AND expired_at IS NULL
            """) {
            let block = try block(from: row)
            guard block.isLive(at: now) else { continue }
            accounts[block.pool]?.blocks.append(block)
        }
        // Open holds that have not run out (one that has is released, whether or not it is recorded yet).
        var holdEnds: [String: Date] = [:]
        for row in try connection.query("""
            SELECT pool, SUM(amount) AS held, MIN(expires_at) AS ends FROM credit_holds
            WHERE customer_id = \(customerID) AND status = 'open' AND expires_at > \(now) GROUP BY pool
            """) {
            let pool: String = try row.get("pool")
            accounts[pool]?.held = try row.get("held")
            holdEnds[pool] = try row.get("ends")
        }
        let result = accounts.values.map { account in
            var account = account
            account.blocks.sort(by: CreditBlock.burnsBefore)
            account.balance = account.blocks.reduce(0) { $0 + $1.remaining } - account.debt
            account.available = account.balance - account.held - (catalog.creditPool(account.pool)?.overageFloor ?? 0)
            return account
        }.sorted { $0.pool < $1.pool }
        return (result, holdEnds)
    }

    /// The balances an evaluation needs (``EvaluationInput/credits``), one read per table.
    static func balances(customerID: String, catalog: Catalog, on connection: any SQLConnection, now: Date) throws -> [String: CreditBalance] {
        guard !catalog.creditPools.isEmpty else { return [:] }
        var result: [String: CreditBalance] = [:]
        let (accounts, holdEnds) = try accountsAndHoldEnds(customerID: customerID, catalog: catalog, on: connection, now: now)
        for account in accounts {
            let instants = account.blocks.compactMap(\.expiresAt) + [holdEnds[account.pool]].compactMap { $0 }
            result[account.pool] = CreditBalance(balance: account.balance, available: account.available, changesAt: instants.min())
        }
        return result
    }

    /// The ledger, oldest first: entries after `cursor` (an entry id), optionally of one pool and
    /// cause and from an instant on, at most `limit`.
    package func ledger(
        customer externalID: String, pool: String? = nil, cause: CreditCause? = nil, since: Date? = nil, after cursor: String? = nil, limit: Int
    ) throws -> [CreditLedgerEntry] {
        try database.withConnection { connection in
            let customer = try Self.customer(externalID, on: connection)
            var sql: SQL = """
                SELECT l.id, l.pool, l.seq, l.block_id, l.amount, l.held_change, l.cause, l.reference, l.balance_after, l.held_after, l.created_at
                FROM credit_ledger l WHERE l.customer_id = \(customer.id)
                """
            func condition(_ text: String, _ value: SQLValue) {
                sql.bindings.append(value)
                sql.text += text.replacingOccurrences(of: "?", with: "$\(sql.bindings.count)")
            }
            if let pool { condition(" AND l.pool = ?", pool.sqlValue) }
            if let cause { condition(" AND l.cause = ?", cause.rawValue.sqlValue) }
            if let since { condition(" AND l.created_at >= ?", since.sqlValue) }
            if let cursor {
                guard let row = try connection.queryFirst("SELECT pool, seq, created_at FROM credit_ledger WHERE id = \(cursor) AND customer_id = \(customer.id)") else {
                    throw DomainError.invalid("starting_after", "no ledger entry \(cursor) of \(externalID)")
                }
                condition(" AND (l.created_at, l.pool, l.seq) > (?", (try row.get("created_at", as: Date.self)).sqlValue)
                condition(", ?", (try row.get("pool", as: String.self)).sqlValue)
                condition(", ?)", (try row.get("seq", as: Int64.self)).sqlValue)
            }
            sql.text += " ORDER BY l.created_at, l.pool, l.seq LIMIT \(max(1, min(limit, 1000)))"
            return try connection.query(sql).map(Self.entry(from:))
        }
    }

    // MARK: Grants

    /// Adds a block of `amount` credits to the customer's `pool` (a promotion, by default), with a
    /// reason and an optional expiry. With an idempotency `key`, a second call with the same key
    /// adds nothing and answers the first block (`duplicate`).
    package func grant(
        customer externalID: String, pool: String, amount: Int64, source: CreditSource = .promotion, reason: String?, expiresAt: Date?,
        priority: Int? = nil, key: String? = nil, now: Date = Date()
    ) throws -> (block: CreditBlock, duplicate: Bool) {
        guard (1...Catalog.maximumCredits).contains(amount) else { throw DomainError.invalid("amount", "must be from 1 to \(Catalog.maximumCredits)") }
        if let expiresAt, expiresAt <= now { throw DomainError.invalid("expires_at", "must be in the future") }
        if let priority, !(0...1000).contains(priority) { throw DomainError.invalid("priority", "must be from 0 to 1000") }
        if let key, key.isEmpty || key.utf8.count > 255 { throw DomainError.invalid("idempotency_key", "must be 1 to 255 bytes") }
        let result: (CreditBlock, Bool) = try database.transaction { connection in
            let customer = try Self.customer(externalID, on: connection)
            let catalog = try catalogCache.catalog(on: connection)
            guard catalog.creditPool(pool) != nil else { throw DomainError.invalid("pool", "no credit pool \(pool) in the catalog") }
            let accountKey = CreditBook.Key(customerID: customer.id, pool: pool)
            let book = try CreditBook.open([accountKey], floors: Self.floors(catalog), on: connection, now: now)
            let reference = try key ?? "grant_" + SecureRandom.token(16)
            if let existing = try connection.queryFirst("""
                SELECT id, pool, source, amount, remaining, priority, effective_at, expires_at, reference, reason, created_at FROM credit_blocks
                WHERE customer_id = \(customer.id) AND pool = \(pool) AND source = \(source.rawValue) AND reference = \(reference)
                """) {
                return (try Self.block(from: existing), true)
            }
            let block = CreditBlock(
                id: "cb_" + (try SecureRandom.token(20)), pool: pool, source: source, amount: amount, remaining: amount,
                priority: priority ?? source.defaultPriority, effectiveAt: now, expiresAt: expiresAt, reference: reference, reason: reason,
                createdAt: now)
            book.add(block, to: accountKey, now: now)
            try book.flush(on: connection)
            return (block, false)
        }
        if !result.1 { didChange(externalID) }
        return result
    }

    /// Takes back what is left of the block that `source` and `reference` added (a purchase whose
    /// payment was refunded or disputed): a `reversal` entry, once; later calls take nothing.
    /// Returns the credits taken back, or nil when there is no such block.
    package func reverse(
        customer externalID: String, pool: String, source: CreditSource, reference: String, note: String? = nil, now: Date = Date()
    ) throws -> Int64? {
        let taken: Int64? = try database.transaction { connection in
            let customer = try Self.customer(externalID, on: connection)
            guard let row = try connection.queryFirst("""
                SELECT id FROM credit_blocks WHERE customer_id = \(customer.id) AND pool = \(pool) AND source = \(source.rawValue) AND reference = \(reference)
                """) else { return nil }
            let catalog = try catalogCache.catalog(on: connection)
            let accountKey = CreditBook.Key(customerID: customer.id, pool: pool)
            let book = try CreditBook.open([accountKey], floors: Self.floors(catalog), on: connection, now: now)
            let taken = book.reverse(try row.get("id"), in: accountKey, reference: note ?? reference, now: now)
            try flush(book, catalog: catalog, customer: customer, on: connection, now: now)
            return taken
        }
        if let taken, taken > 0 { didChange(externalID) }
        return taken
    }

    // MARK: Holds

    /// Reserves `amount` credits of `pool` for `ttl` seconds; refused with `insufficient_credits`
    /// when the available credits do not cover it. With an idempotency `key`, a repeat answers the
    /// first hold.
    package func placeHold(
        customer externalID: String, pool: String, amount: Int64, ttl: TimeInterval = CreditStore.defaultHold, reason: String? = nil,
        key: String? = nil, now: Date = Date()
    ) throws -> (hold: CreditHold, duplicate: Bool) {
        guard (1...Catalog.maximumCredits).contains(amount) else { throw DomainError.invalid("amount", "must be from 1 to \(Catalog.maximumCredits)") }
        guard ttl >= 1, ttl <= Self.maximumHold else { throw DomainError.invalid("ttl_seconds", "must be from 1 to \(Int(Self.maximumHold))") }
        if let key, key.isEmpty || key.utf8.count > 255 { throw DomainError.invalid("idempotency_key", "must be 1 to 255 bytes") }
        let result: (CreditHold, Bool) = try database.transaction { connection in
            let customer = try Self.customer(externalID, on: connection)
            let catalog = try catalogCache.catalog(on: connection)
            guard catalog.creditPool(pool) != nil else { throw DomainError.invalid("pool", "no credit pool \(pool) in the catalog") }
            let accountKey = CreditBook.Key(customerID: customer.id, pool: pool)
            let book = try CreditBook.open([accountKey], floors: Self.floors(catalog), on: connection, now: now)
            if let key, let existing = try connection.queryFirst("""
                SELECT \(raw: Self.holdColumns) FROM credit_holds WHERE customer_id = \(customer.id) AND pool = \(pool) AND idempotency_key = \(key)
                """) {
                try book.flush(on: connection)
                return (try Self.hold(from: existing, customer: externalID), true)
            }
            let hold = CreditHold(
                id: "chd_" + (try SecureRandom.token(20)), customer: externalID, pool: pool, amount: amount, status: .open, settledAmount: nil,
                reason: reason, expiresAt: now.addingTimeInterval(ttl), createdAt: now, settledAt: nil)
            guard book.reserve(amount, in: accountKey, hold: hold.id, now: now) else {
                throw DomainError.insufficientCredits(pool: pool, available: book.account(accountKey)?.available ?? 0, needed: amount)
            }
            try connection.execute("""
                INSERT INTO credit_holds (id, customer_id, pool, amount, status, idempotency_key, reason, expires_at, created_at)
                VALUES (\(hold.id), \(customer.id), \(pool), \(amount), 'open', \(key), \(reason), \(hold.expiresAt), \(now))
                """)
            try flush(book, catalog: catalog, customer: customer, on: connection, now: now)
            return (hold, false)
        }
        if !result.1 { didChange(externalID) }
        return result
    }

    /// Settles an open hold: `commit` spends `amount` of it (at most the hold; the rest returns),
    /// `release` (amount nil) returns it all. Settling a hold again the same way answers it as it
    /// is; settling it another way, or one that expired, is a conflict.
    package func settleHold(customer externalID: String, id: String, commit amount: Int64?, now: Date = Date()) throws -> CreditHold {
        if let amount, amount < 0 { throw DomainError.invalid("amount", "must not be negative") }
        let result: (CreditHold, Bool) = try database.transaction { connection in
            let customer = try Self.customer(externalID, on: connection)
            guard let row = try connection.queryFirst("SELECT pool FROM credit_holds WHERE id = \(id) AND customer_id = \(customer.id)") else {
                throw DomainError.notFound("hold \(id) of \(externalID)")
            }
            let pool: String = try row.get("pool")
            let catalog = try catalogCache.catalog(on: connection)
            let accountKey = CreditBook.Key(customerID: customer.id, pool: pool)
            // The account's lock first: it serializes every settlement of the hold (and expires it if due).
            let book = try CreditBook.open([accountKey], floors: Self.floors(catalog), on: connection, now: now)
            guard let current = try connection.queryFirst("SELECT \(raw: Self.holdColumns) FROM credit_holds WHERE id = \(id)") else {
                throw DomainError.notFound("hold \(id) of \(externalID)")
            }
            var hold = try Self.hold(from: current, customer: externalID)
            let wanted: CreditHold.Status = amount == nil ? .released : .committed
            guard hold.status == .open else {
                try book.flush(on: connection)
                if hold.status == wanted, amount == nil || hold.settledAmount == amount { return (hold, false) }
                throw DomainError.conflict("hold \(id) is \(hold.status.rawValue)")
            }
            if let amount, amount > hold.amount {
                throw DomainError.invalid("amount", "must be at most the hold's \(hold.amount)")
            }
            book.settle(hold.amount, spent: amount ?? 0, in: accountKey, hold: id, cause: amount == nil ? .holdReleased : .holdCommitted, now: now)
            hold.status = wanted
            hold.settledAmount = amount
            hold.settledAt = now
            try connection.execute("""
                UPDATE credit_holds SET status = \(wanted.rawValue), settled_amount = \(amount), settled_at = \(now) WHERE id = \(id)
                """)
            try book.flush(on: connection)
            return (hold, true)
        }
        if result.1 { didChange(externalID) }
        return result.0
    }

    /// One hold of the customer, as it stands (an open one past its expiry shows as expired).
    package func hold(customer externalID: String, id: String, now: Date = Date()) throws -> CreditHold {
        try database.withConnection { connection in
            let customer = try Self.customer(externalID, on: connection)
            guard let row = try connection.queryFirst("SELECT \(raw: Self.holdColumns) FROM credit_holds WHERE id = \(id) AND customer_id = \(customer.id)") else {
                throw DomainError.notFound("hold \(id) of \(externalID)")
            }
            var hold = try Self.hold(from: row, customer: externalID)
            if hold.status == .open, hold.expiresAt <= now {
                hold.status = .expired
                hold.settledAt = hold.expiresAt
            }
            return hold
        }
    }

    // MARK: Rows

    /// Writes the book's changes, with the `credits.low` and `credits.exhausted` events they crossed into.
    func flush(_ book: CreditBook, catalog: Catalog, customer: Customer, on connection: any SQLConnection, now: Date) throws {
        _ = try CreditAlert.append(
            book.crossings(lowBalances: CreditAlert.lowBalances(catalog)), customers: [customer.id: customer.externalID], observer: alertObserver,
            on: connection, now: now)
        try book.flush(on: connection)
    }

    static func floors(_ catalog: Catalog) -> [String: Int64] {
        Dictionary(catalog.creditPools.map { ($0.key, $0.overageFloor) }, uniquingKeysWith: { first, _ in first })
    }

    static func customer(_ externalID: String, on connection: any SQLConnection) throws -> Customer {
        guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else { throw DomainError.unknownCustomer(externalID) }
        return customer
    }

    static let holdColumns = "id, pool, amount, status, settled_amount, reason, expires_at, created_at, settled_at"

    static func hold(from row: Row, customer: String) throws -> CreditHold {
        CreditHold(
            id: try row.get("id"), customer: customer, pool: try row.get("pool"), amount: try row.get("amount"),
            status: try StoredValue.decode(CreditHold.Status.self, try row.get("status")), settledAmount: try row.get("settled_amount"),
            reason: try row.get("reason"), expiresAt: try row.get("expires_at"), createdAt: try row.get("created_at"), settledAt: try row.get("settled_at"))
    }

    static func block(from row: Row) throws -> CreditBlock {
        CreditBlock(
            id: try row.get("id"), pool: try row.get("pool"), source: try StoredValue.decode(CreditSource.self, try row.get("source")),
            amount: try row.get("amount"), remaining: try row.get("remaining"), priority: try row.get("priority"),
            effectiveAt: try row.get("effective_at"), expiresAt: try row.get("expires_at"), reference: try row.get("reference"),
            reason: try row.get("reason"), createdAt: try row.get("created_at"))
    }

    static func entry(from row: Row) throws -> CreditLedgerEntry {
        CreditLedgerEntry(
            id: try row.get("id"), pool: try row.get("pool"), seq: try row.get("seq"), blockID: try row.get("block_id"),
            amount: try row.get("amount"), heldChange: try row.get("held_change"),
            cause: try StoredValue.decode(CreditCause.self, try row.get("cause")), reference: try row.get("reference"),
            balanceAfter: try row.get("balance_after"), heldAfter: try row.get("held_after"), createdAt: try row.get("created_at"))
    }
}
