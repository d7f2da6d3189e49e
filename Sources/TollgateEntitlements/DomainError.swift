package import TollgateWire

/// A domain rule the caller broke. Each failure is declared here once, with its code, kind,
/// message and details (``Failure``): the API answers it with the kind's status, the CLI prints it
/// and exits 1. Messages are shown to users: they name what is wrong, never secrets or SQL.
package struct DomainError: Error, Sendable, Equatable, CustomStringConvertible, FailureConvertible {
    package let failure: Failure

    private init(_ kind: Failure.Kind, _ code: String, _ message: String, details: [Failure.Detail] = []) {
        failure = Failure(kind, code: code, message: message, details: details)
    }

    package var description: String { failure.message }

    /// A value failed validation: the field (as the API spells it) and what is wrong with it.
    package static func invalid(_ field: String, _ message: String) -> DomainError {
        DomainError(.invalid, "invalid_request", "\(field): \(message)", details: [Failure.Detail(field: field, issue: message)])
    }

    /// The named thing does not exist.
    package static func notFound(_ what: String) -> DomainError {
        DomainError(.notFound, "not_found", "\(what) not found")
    }

    /// The change conflicts with the current state.
    package static func conflict(_ message: String) -> DomainError {
        DomainError(.conflict, "conflict", message)
    }

    /// No customer has this external id.
    package static func unknownCustomer(_ id: String) -> DomainError {
        DomainError(.notFound, "unknown_customer", "no customer with external id \(id)")
    }

    /// The catalog has no feature with this key.
    package static func unknownFeature(_ key: String) -> DomainError {
        DomainError(.notFound, "unknown_feature", "no feature \(key) in the catalog")
    }

    /// The customer's available credits in the pool do not cover the amount.
    package static func insufficientCredits(pool: String, available: Int64, needed: Int64) -> DomainError {
        DomainError(.conflict, "insufficient_credits", "\(needed) credits of \(pool) needed, \(max(0, available)) available")
    }

    /// Every seat of the feature is held (or the customer is over the limit, or not entitled to
    /// the feature): the assignment is refused (docs/seats.md).
    package static func seatLimitExceeded(feature: String, limit: Int64?, assigned: Int64) -> DomainError {
        let message = limit.map { "\(assigned) of \($0) seats of \(feature) are assigned" } ?? "the customer is not entitled to \(feature)"
        return DomainError(.conflict, "limit_exceeded", message, details: [Failure.Detail(field: "member", issue: message)])
    }

    /// The catalog is no longer at the revision a preview of the change was computed at.
    package static func catalogChanged(previewed: Int64, now: Int64) -> DomainError {
        DomainError(.conflict, catalogChangedCode, "the catalog changed since the preview (revision \(previewed), now \(now)); preview again")
    }

    private static let catalogChangedCode = "catalog_changed"

    /// Whether this is ``catalogChanged(previewed:now:)`` (the console then shows a fresh preview).
    package var isCatalogChanged: Bool { failure.code == Self.catalogChangedCode }

    /// The customer has never had a subscription.
    package static func noSubscription(customer: String) -> DomainError {
        DomainError(.notFound, "no_subscription", "customer \(customer) has no subscription")
    }
}
