package import Foundation
import Tollgate
import TollgateWire

/// One event of a batch, as sent: read as plain text and checked event by event, so one bad
/// event (an invalid feature key, a quantity out of range) refuses only itself.
package struct UsageBatchEvent: Sendable, Codable, Equatable {
    package var customer: String
    package var feature: String
    package var quantity: Int64?
    package var idempotencyKey: String?

    package init(customer: String, feature: String, quantity: Int64? = nil, idempotencyKey: String? = nil) {
        self.customer = customer
        self.feature = feature
        self.quantity = quantity
        self.idempotencyKey = idempotencyKey
    }
}

/// `POST /v1/usage/batch`'s body.
package struct UsageBatchRequest: Sendable, Codable, Equatable {
    package static let maximumEvents = 1_000

    package var events: [UsageBatchEvent]

    package init(events: [UsageBatchEvent]) { self.events = events }
}

/// What became of one event of a batch.
package struct UsageBatchResult: Sendable, Codable, Equatable {
    package enum Status: String, Sendable, Codable, CaseIterable {
        /// Counted now.
        case counted
        /// Its idempotency key was counted before (or earlier in this batch): nothing new counted.
        case duplicate
        /// Not counted: see `reason`.
        case refused
    }

    package var status: Status
    /// Why it was refused: the error code (`unknown_customer`, `unknown_feature`, `invalid_request`).
    package var reason: String?
    package var message: String?
    /// Usage in the event's window after it (for a duplicate: as it stands).
    package var used: Int64?
    package var remaining: Int64?

    package init(status: Status, reason: String? = nil, message: String? = nil, used: Int64? = nil, remaining: Int64? = nil) {
        self.status = status
        self.reason = reason
        self.message = message
        self.used = used
        self.remaining = remaining
    }
}

/// The answer to a batch: one result per event, in order, and the totals.
package struct UsageBatchResponse: Sendable, Codable, Equatable {
    package var results: [UsageBatchResult]
    package var counted: Int
    package var duplicate: Int
    package var refused: Int

    package init(results: [UsageBatchResult]) {
        self.results = results
        counted = results.count { $0.status == .counted }
        duplicate = results.count { $0.status == .duplicate }
        refused = results.count { $0.status == .refused }
    }
}

extension EntitlementService {
    /// Records a batch of 1 to ``UsageBatchRequest/maximumEvents`` events in one transaction and
    /// answers each event. A bad event is refused alone; a store failure throws (nothing of the
    /// batch was counted, and a retry with the same keys is safe).
    package func record(_ batch: UsageBatchRequest, now: Date = Date()) throws -> UsageBatchResponse {
        guard (1...UsageBatchRequest.maximumEvents).contains(batch.events.count) else {
            throw DomainError.invalid("events", "must hold 1 to \(UsageBatchRequest.maximumEvents) events")
        }
        var results = [UsageBatchResult?](repeating: nil, count: batch.events.count)
        var requests: [UsageRequest] = []
        var positions: [Int] = []
        for (index, event) in batch.events.enumerated() {
            guard let feature = FeatureKey(validating: event.feature) else {
                let error = DomainError.invalid("feature", "not a valid feature key")
                results[index] = .init(status: .refused, reason: error.failure.code, message: error.failure.message)
                continue
            }
            requests.append(UsageRequest(customer: event.customer, feature: feature, quantity: event.quantity ?? 1, idempotencyKey: event.idempotencyKey))
            positions.append(index)
        }
        for (position, answer) in zip(positions, record(batch: requests, now: now)) {
            switch answer {
            case .success(let outcome):
                results[position] = .init(status: outcome.duplicate ? .duplicate : .counted, used: outcome.used, remaining: outcome.remaining)
            case .failure(let error):
                guard let domain = error as? DomainError else { throw error }
                results[position] = .init(status: .refused, reason: domain.failure.code, message: domain.failure.message)
            }
        }
        return UsageBatchResponse(results: results.map { $0! })
    }
}
