package import Foundation

/// What added a block of credits.
package enum CreditSource: String, Sendable, Codable, CaseIterable {
    /// A plan's credits for a period.
    case allowance
    /// Given by an operator (a promotion, a goodwill gesture), with a reason.
    case promotion
    /// A credit pack bought through Stripe Checkout.
    case purchase
    /// An automatic top-up.
    case topUp = "top_up"
    /// Credits given back.
    case refund

    /// The priority a block of this source gets unless told otherwise: smaller burns first. A plan's
    /// period credits (which expire with the period) go before promotions, and both before credits
    /// the customer paid for.
    package var defaultPriority: Int {
        switch self {
        case .allowance: 10
        case .promotion: 20
        case .purchase, .topUp, .refund: 30
        }
    }
}

/// Why a ledger entry was written.
package enum CreditCause: String, Sendable, Codable, CaseIterable {
    /// A block was added (its source says how).
    case added
    /// Metered usage of a credit-priced feature.
    case usage
    /// A hold reserved credits (changes `held`, not the balance).
    case holdPlaced = "hold_placed"
    /// A hold was settled: its amount spent (changes the balance) and its reservation ended.
    case holdCommitted = "hold_committed"
    /// A hold was released by the caller, or ran out (changes `held` only).
    case holdReleased = "hold_released"
    case holdExpired = "hold_expired"
    /// A block's remaining credits expired.
    case expiry
    /// What was left of a block was taken back (its payment refunded or disputed).
    case reversal
}

/// A block of credits in a customer's pool.
package struct CreditBlock: Sendable, Equatable, Codable {
    package var id: String
    package var pool: String
    package var source: CreditSource
    package var amount: Int64
    package var remaining: Int64
    package var priority: Int
    package var effectiveAt: Date
    package var expiresAt: Date?
    /// What added it (a grant's idempotency key, a Checkout session, a period): at most one block
    /// per customer, pool, source and reference.
    package var reference: String
    package var reason: String?
    package var createdAt: Date

    /// Whether it counts at `now`: something left, not expired. (A block takes effect when it is
    /// added; `effectiveAt` records that instant.)
    func isLive(at now: Date) -> Bool {
        remaining > 0 && expiresAt.map { now < $0 } ?? true
    }

    /// The burn order: priority, then the soonest expiry (never-expiring last), then the oldest.
    static func burnsBefore(_ lhs: CreditBlock, _ rhs: CreditBlock) -> Bool {
        if lhs.priority != rhs.priority { return lhs.priority < rhs.priority }
        switch (lhs.expiresAt, rhs.expiresAt) {
        case (let left?, let right?) where left != right: return left < right
        case (.some, nil): return true
        case (nil, .some): return false
        default: break
        }
        if lhs.createdAt != rhs.createdAt { return lhs.createdAt < rhs.createdAt }
        return lhs.id < rhs.id
    }
}

/// One entry of the ledger: a change to an account's balance (`amount`, signed) or to what holds
/// reserve (`heldChange`), with both as they stood after it.
package struct CreditLedgerEntry: Sendable, Equatable, Codable {
    package var id: String
    package var pool: String
    package var seq: Int64
    package var blockID: String?
    package var amount: Int64
    package var heldChange: Int64
    package var cause: CreditCause
    package var reference: String?
    package var balanceAfter: Int64
    package var heldAfter: Int64
    package var createdAt: Date

    /// `blockID` ↔ `block_id` both ways (the CLI's remote mode reads the API's JSON back).
    enum CodingKeys: String, CodingKey {
        case id, pool, seq, blockID = "blockId", amount, heldChange, cause, reference, balanceAfter, heldAfter, createdAt
    }
}

/// A hold: credits reserved until committed, released or expired.
package struct CreditHold: Sendable, Equatable, Codable {
    package enum Status: String, Sendable, Codable { case open, committed, released, expired }

    package var id: String
    package var customer: String
    package var pool: String
    package var amount: Int64
    package var status: Status
    /// Committed holds: what was spent (at most `amount`).
    package var settledAmount: Int64?
    package var reason: String?
    package var expiresAt: Date
    package var createdAt: Date
    package var settledAt: Date?
}

/// A customer's account in one pool, as the API shows it.
package struct CreditAccount: Sendable, Equatable, Codable {
    package var pool: String
    /// Live blocks' remaining credits less debt.
    package var balance: Int64
    /// Reserved by open holds.
    package var held: Int64
    /// Spent beyond the blocks (overage), repaid from the next credits added.
    package var debt: Int64
    /// What can be spent: balance − held − the pool's floor.
    package var available: Int64
    /// The live blocks, in burn order.
    package var blocks: [CreditBlock]
}
