package import Foundation
package import Tollgate

/// A member holding a seat of a customer's limit feature (docs/seats.md).
package struct SeatHolder: Sendable, Codable, Equatable {
    /// The SaaS's id of the member (its user id).
    package var member: String
    package var assignedAt: Date

    package init(member: String, assignedAt: Date) {
        self.member = member
        self.assignedAt = assignedAt
    }
}

/// A page of a customer's seats of one feature, with the limit they are held under:
/// `{"customer", "feature", "limit", "assigned", "over_limit", "data": [holders], "has_more"}`.
package struct SeatListing: Sendable, Codable, Equatable {
    package var customer: String
    package var feature: FeatureKey
    /// The effective limit (per-unit, plan or grant); nil when the customer is not entitled.
    package var limit: EntitlementValue?
    /// Members holding a seat (all of them, not only this page's).
    package var assigned: Int64
    /// `assigned - limit` when the limit fell below the holders, else 0 (``SeatUse``).
    package var overLimit: Int64
    /// The holders, by member id.
    package var data: [SeatHolder]
    package var hasMore: Bool
}

/// The answer to an assignment: the seat, and whether this call assigned it (false: the member
/// already held it, and nothing changed).
package struct SeatAssignment: Sendable, Codable, Equatable {
    package var customer: String
    package var feature: FeatureKey
    package var member: String
    package var assignedAt: Date
    package var created: Bool
    /// Members holding a seat after the call.
    package var assigned: Int64
    package var limit: EntitlementValue?
}

/// The rules of a member id, in one place: 1 to ``maximumLength`` characters (Unicode scalars, as
/// JSON Schema's `maxLength` counts them), no control
/// characters, no leading or trailing whitespace (so it reads back the same in a URL path).
package enum SeatMember {
    package static let maximumLength = 255

    /// `member` if it is a valid member id, else the failure naming the field.
    package static func validated(_ member: String) throws(DomainError) -> String {
        guard !member.isEmpty else { throw DomainError.invalid("member", "must not be empty") }
        guard member.unicodeScalars.count <= maximumLength else {
            throw DomainError.invalid("member", "at most \(maximumLength) characters")
        }
        guard !member.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }),
              member.trimmingCharacters(in: .whitespacesAndNewlines) == member
        else {
            throw DomainError.invalid("member", "no control characters, nor leading or trailing whitespace")
        }
        return member
    }
}
