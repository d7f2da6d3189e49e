package import Foundation
import TollgateCrypto
package import TollgateStore

/// A paid purchase of credits: a pack bought through Checkout, or an automatic top-up.
package struct CreditPurchase: Sendable, Equatable {
    /// The customer's external id.
    package var customer: String
    package var pool: String
    /// The pack as the catalog holds it when the payment is applied.
    package var pack: CreditPack
    /// ``CreditSource/purchase`` or ``CreditSource/topUp``.
    package var source: CreditSource
    /// The block's reference: the Checkout Session id (`cs_…`) or the PaymentIntent id (`pi_…`).
    package var reference: String
    /// The PaymentIntent that paid, which refunds and disputes name; nil when the payload has none.
    package var paymentIntent: String?
    /// Amount paid, in the currency's smallest unit, and the currency.
    package var amount: Int64
    package var currency: String
    /// When the pack's credits expire (nil: never).
    package var expiresAt: Date?

    package init(
        customer: String, pool: String, pack: CreditPack, source: CreditSource, reference: String, paymentIntent: String?,
        amount: Int64, currency: String, expiresAt: Date?
    ) {
        self.customer = customer
        self.pool = pool
        self.pack = pack
        self.source = source
        self.reference = reference
        self.paymentIntent = paymentIntent
        self.amount = amount
        self.currency = currency
        self.expiresAt = expiresAt
    }
}

/// Why what is left of a purchase is taken back.
package enum CreditReversalCause: String, Sendable, Codable, CaseIterable {
    case refund
    case dispute
}

/// Purchases and their reversals, inside a transaction the caller holds (the Stripe event
/// applier's), so the block, the purchase row and the event's status commit together.
///
/// **Exactly once.** A purchase adds at most one block: the block's (customer, pool, source,
/// reference) is unique, and a second delivery of the same payment finds it and adds nothing. A
/// reversal takes back what is left of the block once (``CreditBook`` takes nothing from a block
/// with nothing left), and is recorded on the purchase row (`credit_purchases`) keyed by the
/// PaymentIntent. A reversal that arrives before its purchase is recorded first; the purchase,
/// when it lands, is added and taken back at once, so the ledger still explains the balance.
package enum CreditPurchases {
    /// What ``record(_:on:now:)`` did.
    package enum Outcome: Sendable, Equatable {
        /// The block was added.
        case added(CreditBlock)
        /// The block already existed: nothing changed.
        case duplicate(CreditBlock)
        /// The block was added and taken back at once: the payment had been refunded or disputed first.
        case reversed(CreditBlock, taken: Int64)
        /// Its credits had expired before the payment was applied: nothing added.
        case expired
    }

    /// The pack `key` of `pool` in the current catalog; nil when either is not there.
    package static func pack(pool: String, key: String, on connection: any SQLConnection) throws -> CreditPack? {
        try CatalogRepository.load(on: connection).creditPool(pool)?.packs.first { $0.key == key }
    }

    /// Adds the purchase's block (priority and burn order of its source) and its purchase row.
    package static func record(_ purchase: CreditPurchase, on connection: any SQLConnection, now: Date) throws -> Outcome {
        guard let customer = try CustomerRepository.find(externalID: purchase.customer, on: connection) else {
            throw DomainError.unknownCustomer(purchase.customer)
        }
        if let expiresAt = purchase.expiresAt, expiresAt <= now { return .expired }
        let catalog = try CatalogRepository.load(on: connection)
        guard catalog.creditPool(purchase.pool) != nil else { throw DomainError.invalid("pool", "no credit pool \(purchase.pool) in the catalog") }
        let key = CreditBook.Key(customerID: customer.id, pool: purchase.pool)
        let book = try CreditBook.open([key], floors: CreditStore.floors(catalog), on: connection, now: now)
        if let existing = try connection.queryFirst("""
            SELECT id, pool, source, amount, remaining, priority, effective_at, expires_at, reference, reason, created_at FROM credit_blocks
            WHERE customer_id = \(customer.id) AND pool = \(purchase.pool) AND source = \(purchase.source.rawValue) AND reference = \(purchase.reference)
            """) {
            try book.flush(on: connection)
            return .duplicate(try CreditStore.block(from: existing))
        }
        let reason = "\(purchase.source == .topUp ? "top-up" : "pack") \(purchase.pack.key): \(purchase.amount) \(purchase.currency)"
            + (purchase.paymentIntent.map { " (\($0))" } ?? "")
        let block = CreditBlock(
            id: "cb_" + (try SecureRandom.token(20)), pool: purchase.pool, source: purchase.source, amount: purchase.pack.credits,
            remaining: purchase.pack.credits, priority: purchase.source.defaultPriority, effectiveAt: now, expiresAt: purchase.expiresAt,
            reference: purchase.reference, reason: reason, createdAt: now)
        book.add(block, to: key, now: now)
        var earlier: CreditReversalCause?
        if let intent = purchase.paymentIntent {
            if let row = try connection.queryFirst("SELECT reversal_cause FROM credit_purchases WHERE payment_intent = \(intent)") {
                earlier = try (row.get("reversal_cause", as: String?.self)).flatMap(CreditReversalCause.init(rawValue:))
                try connection.execute("""
                    UPDATE credit_purchases SET customer_id = \(customer.id), pool = \(purchase.pool), pack = \(purchase.pack.key),
                        source = \(purchase.source.rawValue), reference = \(purchase.reference), credits = \(purchase.pack.credits),
                        amount = \(purchase.amount), currency = \(purchase.currency), updated_at = \(now)
                    WHERE payment_intent = \(intent)
                    """)
            } else {
                try connection.execute("""
                    INSERT INTO credit_purchases (payment_intent, customer_id, pool, pack, source, reference, credits, amount, currency, created_at, updated_at)
                    VALUES (\(intent), \(customer.id), \(purchase.pool), \(purchase.pack.key), \(purchase.source.rawValue), \(purchase.reference),
                        \(purchase.pack.credits), \(purchase.amount), \(purchase.currency), \(now), \(now))
                    """)
            }
        }
        guard let earlier, let intent = purchase.paymentIntent else {
            try book.flush(on: connection)
            return .added(block)
        }
        try book.flush(on: connection)
        let taken = book.reverse(block.id, in: key, reference: "\(earlier.rawValue):\(intent)", now: now)
        try book.flush(on: connection)
        try connection.execute("UPDATE credit_purchases SET reversed_credits = \(taken), updated_at = \(now) WHERE payment_intent = \(intent)")
        return .reversed(block, taken: taken)
    }

    /// What ``reverse(paymentIntent:cause:amountRefunded:on:now:)`` did.
    package struct Reversal: Sendable, Equatable {
        /// The customer's external id, when the purchase is known.
        package var customer: String?
        /// Credits taken back now (0: nothing was left, or it was taken back before).
        package var taken: Int64
        /// Why nothing was taken, when nothing was.
        package var note: String?
    }

    /// Takes back what is left of the block the PaymentIntent paid for, once (`cause` and the
    /// PaymentIntent are the ledger entry's reference). A refund takes back only when it is full
    /// (`fullyRefunded`); a partial refund is recorded (`amount_refunded`) and takes nothing. A
    /// PaymentIntent whose purchase is not recorded yet is remembered, and its purchase is taken
    /// back when it lands. (The purchase and its reversal may be applied at once in two lanes: a
    /// purchase that finds the reversal's row inserted meanwhile fails on the key and is retried; a
    /// reversal that finds the purchase's reads it again.)
    package static func reverse(
        paymentIntent: String, cause: CreditReversalCause, amountRefunded: Int64? = nil, fullyRefunded: Bool = true,
        on connection: any SQLConnection, now: Date, retried: Bool = false
    ) throws -> Reversal {
        guard let row = try connection.queryFirst("""
            SELECT customer_id, pool, source, reference, reversed_at FROM credit_purchases WHERE payment_intent = \(paymentIntent)
            """) else {
            guard fullyRefunded else {
                try connection.execute("""
                    INSERT INTO credit_purchases (payment_intent, amount_refunded, created_at, updated_at)
                    VALUES (\(paymentIntent), \(amountRefunded ?? 0), \(now), \(now)) ON CONFLICT (payment_intent) DO NOTHING
                    """)
                return Reversal(customer: nil, taken: 0, note: "partial refund of \(paymentIntent), whose purchase is not recorded; nothing taken")
            }
            let remembered = try connection.execute("""
                INSERT INTO credit_purchases (payment_intent, amount_refunded, reversed_at, reversal_cause, created_at, updated_at)
                VALUES (\(paymentIntent), \(amountRefunded ?? 0), \(now), \(cause.rawValue), \(now), \(now)) ON CONFLICT (payment_intent) DO NOTHING
                """)
            // The purchase committed its row meanwhile (another lane: a dispute names no customer): read it again.
            if remembered == 0, !retried {
                return try reverse(
                    paymentIntent: paymentIntent, cause: cause, amountRefunded: amountRefunded, fullyRefunded: fullyRefunded, on: connection, now: now,
                    retried: true)
            }
            return Reversal(customer: nil, taken: 0, note: "\(paymentIntent) is not a recorded purchase yet; its purchase will be taken back when it lands")
        }
        if let amountRefunded {
            try connection.execute("""
                UPDATE credit_purchases SET amount_refunded = \(amountRefunded), updated_at = \(now) WHERE payment_intent = \(paymentIntent)
                """)
        }
        guard let customerID = try row.get("customer_id", as: String?.self), let pool = try row.get("pool", as: String?.self),
              let sourceText = try row.get("source", as: String?.self), let reference = try row.get("reference", as: String?.self) else {
            if fullyRefunded {
                try connection.execute("""
                    UPDATE credit_purchases SET reversed_at = COALESCE(reversed_at, \(now)), reversal_cause = COALESCE(reversal_cause, \(cause.rawValue))
                    WHERE payment_intent = \(paymentIntent)
                    """)
            }
            return Reversal(customer: nil, taken: 0, note: "\(paymentIntent) is not a recorded purchase yet")
        }
        let external = try CustomerRepository.find(id: customerID, on: connection)?.externalID
        if try row.get("reversed_at", as: Date?.self) != nil {
            return Reversal(customer: external, taken: 0, note: "already taken back")
        }
        guard fullyRefunded else {
            return Reversal(customer: external, taken: 0, note: "partial refund (\(amountRefunded ?? 0)) recorded; credits are taken back on a full refund")
        }
        let catalog = try CatalogRepository.load(on: connection)
        let key = CreditBook.Key(customerID: customerID, pool: pool)
        let book = try CreditBook.open([key], floors: CreditStore.floors(catalog), on: connection, now: now)
        var taken: Int64 = 0
        if let block = try connection.queryFirst("""
            SELECT id FROM credit_blocks WHERE customer_id = \(customerID) AND pool = \(pool) AND source = \(sourceText) AND reference = \(reference)
            """) {
            taken = book.reverse(try block.get("id"), in: key, reference: "\(cause.rawValue):\(paymentIntent)", now: now)
        }
        try book.flush(on: connection)
        try connection.execute("""
            UPDATE credit_purchases SET reversed_at = \(now), reversal_cause = \(cause.rawValue), reversed_credits = \(taken), updated_at = \(now)
            WHERE payment_intent = \(paymentIntent)
            """)
        return Reversal(customer: external, taken: taken, note: taken == 0 ? "nothing was left to take back" : nil)
    }
}
