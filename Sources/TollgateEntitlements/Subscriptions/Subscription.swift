package import Foundation
package import Tollgate
import TollgateStore

/// A customer's current subscription as stored: the library's ``SubscriptionState`` plus ids.
package struct Subscription: Sendable, Codable, Equatable {
    package var id: String
    package var customer: String
    package var state: SubscriptionState
    package var stripeSubscriptionID: String?
    package var createdAt: Date
    package var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, customer, planKey = "plan", status, quantity, currentPeriodStart, currentPeriodEnd, cancelAtPeriodEnd, trialEnd,
             pastDueSince, stripeSubscriptionID = "stripeSubscriptionId", createdAt, updatedAt
    }

    package init(id: String, customer: String, state: SubscriptionState, stripeSubscriptionID: String?, createdAt: Date, updatedAt: Date) {
        self.id = id
        self.customer = customer
        self.state = state
        self.stripeSubscriptionID = stripeSubscriptionID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Flat JSON: the state's fields beside the ids (`plan`, `status`, `quantity`, …).
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(customer, forKey: .customer)
        try container.encode(state.planKey, forKey: .planKey)
        try container.encode(state.status, forKey: .status)
        try container.encode(state.quantity, forKey: .quantity)
        try container.encode(state.currentPeriodStart, forKey: .currentPeriodStart)
        try container.encode(state.currentPeriodEnd, forKey: .currentPeriodEnd)
        try container.encode(state.cancelAtPeriodEnd, forKey: .cancelAtPeriodEnd)
        try container.encode(state.trialEnd, forKey: .trialEnd)
        try container.encode(state.pastDueSince, forKey: .pastDueSince)
        try container.encode(stripeSubscriptionID, forKey: .stripeSubscriptionID)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        customer = try container.decode(String.self, forKey: .customer)
        state = SubscriptionState(
            planKey: try container.decode(String.self, forKey: .planKey),
            status: try container.decode(SubscriptionStatus.self, forKey: .status),
            quantity: try container.decode(Int.self, forKey: .quantity),
            currentPeriodStart: try container.decodeIfPresent(Date.self, forKey: .currentPeriodStart),
            currentPeriodEnd: try container.decodeIfPresent(Date.self, forKey: .currentPeriodEnd),
            cancelAtPeriodEnd: try container.decode(Bool.self, forKey: .cancelAtPeriodEnd),
            trialEnd: try container.decodeIfPresent(Date.self, forKey: .trialEnd),
            pastDueSince: try container.decodeIfPresent(Date.self, forKey: .pastDueSince))
        stripeSubscriptionID = try container.decodeIfPresent(String.self, forKey: .stripeSubscriptionID)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        updatedAt = try container.decode(Date.self, forKey: .updatedAt)
    }
}

/// What the API and CLI send to set a subscription (the Stripe issue drives the same code from webhooks).
package struct SubscriptionChange: Sendable, Codable, Equatable {
    package var plan: String
    package var status: SubscriptionStatus
    package var quantity: Int?
    package var currentPeriodStart: Date?
    package var currentPeriodEnd: Date?
    package var cancelAtPeriodEnd: Bool?
    package var trialEnd: Date?

    package init(
        plan: String, status: SubscriptionStatus, quantity: Int? = nil, currentPeriodStart: Date? = nil, currentPeriodEnd: Date? = nil,
        cancelAtPeriodEnd: Bool? = nil, trialEnd: Date? = nil
    ) {
        self.plan = plan
        self.status = status
        self.quantity = quantity
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.trialEnd = trialEnd
    }

    func validate() throws(DomainError) {
        if let quantity, quantity < 1 || quantity > 1_000_000 { throw .invalid("quantity", "must be from 1 to 1000000") }
        if let start = currentPeriodStart, let end = currentPeriodEnd, end <= start {
            throw .invalid("current_period_end", "must be after current_period_start")
        }
    }
}

/// One entry of a subscription's history.
package struct SubscriptionHistoryEntry: Sendable, Codable, Equatable {
    package var plan: String
    package var status: SubscriptionStatus
    package var quantity: Int
    package var currentPeriodStart: Date?
    package var currentPeriodEnd: Date?
    package var cancelAtPeriodEnd: Bool
    package var trialEnd: Date?
    /// Who made the change: `api`, `cli`, `stripe`.
    package var source: String
    package var changedAt: Date
}

extension SubscriptionState {
    /// This state as the store gives it back (``SQLTimestamp/stored(_:)``: instants to the millisecond).
    var stored: SubscriptionState {
        var state = self
        state.currentPeriodStart = currentPeriodStart.map(SQLTimestamp.stored)
        state.currentPeriodEnd = currentPeriodEnd.map(SQLTimestamp.stored)
        state.trialEnd = trialEnd.map(SQLTimestamp.stored)
        state.pastDueSince = pastDueSince.map(SQLTimestamp.stored)
        return state
    }
}
