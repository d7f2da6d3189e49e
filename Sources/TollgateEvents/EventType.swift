import Foundation

/// Every kind of event the log holds: what changed, named `object.change` (docs/events.md has
/// each one's `data`). A consumer that does not know a type should ignore it: types are added,
/// never renamed.
package enum EventType: String, CaseIterable, Sendable, Codable, Comparable {
    case customerCreated = "customer.created"
    case customerUpdated = "customer.updated"
    case customerDeleted = "customer.deleted"
    case subscriptionCreated = "subscription.created"
    case subscriptionUpdated = "subscription.updated"
    case subscriptionCanceled = "subscription.canceled"
    /// The customer's effective entitlements changed: a feature's value, its source or why it is
    /// denied, or a usage window (by a change, or by time passing).
    case entitlementsUpdated = "entitlements.updated"
    case grantCreated = "grant.created"
    case grantRevoked = "grant.revoked"
    case grantExpired = "grant.expired"
    case usageThresholdReached = "usage.threshold_reached"
    case usageLimitReached = "usage.limit_reached"
    /// A credit pool's available credits fell below the pool's `low_balance` (docs/credits.md).
    case creditsLow = "credits.low"
    /// A credit pool's available credits ran out: nothing more can be spent from it.
    case creditsExhausted = "credits.exhausted"
    /// A member was assigned a seat of a limit feature (docs/seats.md).
    case seatsAssigned = "seats.assigned"
    /// A member's seat was released.
    case seatsReleased = "seats.released"
    /// The limit fell below the members holding seats (a downgrade, a lower quantity, a grant
    /// revoked): nobody is released; new assignments are refused until the holders fit.
    case seatsOverLimit = "seats.over_limit"
    case integrationConnected = "integration.connected"
    case integrationDisconnected = "integration.disconnected"
    case integrationRefreshFailed = "integration.refresh_failed"
    /// The catalog changed (`plans apply`): every customer's entitlements may have; those that did
    /// follow as `entitlements.updated`.
    case catalogUpdated = "catalog.updated"

    package static func < (lhs: EventType, rhs: EventType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Reads a comma-separated list of types (`customer.created,grant.created`), as the API's
    /// filters take them; `*` means every type (nil). Throws naming the first unknown type.
    package static func parseList(_ text: String) throws(UnknownEventType) -> Set<EventType>? {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names.contains("*") { return nil }
        var types: Set<EventType> = []
        for name in names {
            guard let type = EventType(rawValue: name) else { throw UnknownEventType(name: name) }
            types.insert(type)
        }
        return types
    }
}

/// A type name that is not an ``EventType``.
package struct UnknownEventType: Error, Sendable, Equatable {
    package let name: String
    package var message: String { "unknown event type \(name) (known: \(EventType.allCases.map(\.rawValue).joined(separator: ", ")))" }
}
