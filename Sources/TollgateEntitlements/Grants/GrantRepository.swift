package import Foundation
package import Tollgate
import TollgateCrypto
package import TollgateStore
import TollgateEvents

/// What an operator or service sends to grant a customer more than their plan gives.
package struct GrantRequest: Sendable, Codable, Equatable {
    package var feature: FeatureKey
    /// `true` for a boolean feature; a number (raise a limit, add to a metered quota) or "unlimited".
    package var value: EntitlementValue
    package var reason: String
    package var expiresAt: Date?
    /// Who granted it; the API fills in the calling key's name when absent.
    package var grantedBy: String?

    package init(feature: FeatureKey, value: EntitlementValue, reason: String, expiresAt: Date? = nil, grantedBy: String? = nil) {
        self.feature = feature
        self.value = value
        self.reason = reason
        self.expiresAt = expiresAt
        self.grantedBy = grantedBy
    }
}

/// Per-customer overrides of single features, with reason, author and optional expiry.
package struct GrantRepository: Sendable {
    let database: any Database
    /// Told the customer's external id after every committed change (the snapshot cache listens).
    let didChange: @Sendable (String) -> Void

    package init(database: any Database, didChange: @escaping @Sendable (String) -> Void = { _ in }) {
        self.database = database
        self.didChange = didChange
    }

    /// Grants `request` to the customer. The feature must exist and the value suit its kind.
    package func create(customer externalID: String, _ request: GrantRequest, grantedBy fallbackAuthor: String, now: Date = Date()) throws -> Grant {
        let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty, reason.count <= 500 else { throw DomainError.invalid("reason", "a grant needs a reason of 1 to 500 characters") }
        if let expiresAt = request.expiresAt, expiresAt <= now { throw DomainError.invalid("expires_at", "must be in the future") }
        defer { didChange(externalID) }
        return try database.transaction { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            guard let kindText: String = try connection.queryFirst("SELECT kind FROM features WHERE key = \(request.feature.rawValue)")?.get("kind") else {
                throw DomainError.invalid("feature", "no feature \(request.feature) in the catalog")
            }
            let kind = try StoredValue.decode(FeatureKind.self, kindText)
            switch (kind, request.value) {
            case (.boolean, .enabled), (.limit, .unlimited), (.metered, .unlimited): break
            case (.limit, .limit(let number)), (.metered, .limit(let number)):
                guard number > 0 else { throw DomainError.invalid("value", "must be positive") }
            case (.boolean, _): throw DomainError.invalid("value", "a boolean feature is granted with true")
            case (.limit, .enabled), (.metered, .enabled): throw DomainError.invalid("value", "a \(kind.rawValue) feature is granted a number or \"unlimited\"")
            }
            let grant = Grant(
                id: "grt_" + (try SecureRandom.token(20)), feature: request.feature, value: request.value, reason: reason,
                grantedBy: request.grantedBy ?? fallbackAuthor, createdAt: now, expiresAt: request.expiresAt)
            try connection.execute("""
                INSERT INTO grants (id, customer_id, feature_key, value, reason, granted_by, created_at, expires_at)
                VALUES (\(grant.id), \(customer.id), \(grant.feature.rawValue), \(StoredValue.text(grant.value)), \(grant.reason),
                    \(grant.grantedBy), \(now), \(grant.expiresAt))
                """)
            try EntitlementAnnouncements.markDue(customerID: customer.id, externalID: customer.externalID, on: connection, now: now)
            try DomainEvents.grant(.grantCreated, grant, customer: DomainEvents.customerRef(customer), on: connection, now: now)
            return grant
        }
    }

    /// Every grant of the customer, oldest first, revoked and expired ones included.
    package func list(customer externalID: String) throws -> [Grant] {
        try database.withConnection { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            return try Self.grants(customerID: customer.id, on: connection)
        }
    }

    /// Revokes one of the customer's grants; revoking twice keeps the first time.
    package func revoke(customer externalID: String, grant id: String, now: Date = Date()) throws -> Grant {
        defer { didChange(externalID) }
        return try database.transaction { connection in
            guard let customer = try CustomerRepository.find(externalID: externalID, on: connection) else {
                throw DomainError.unknownCustomer(externalID)
            }
            let revoked = try connection.execute("""
                UPDATE grants SET revoked_at = \(now) WHERE id = \(id) AND customer_id = \(customer.id) AND revoked_at IS NULL
                """)
            guard let grant = try Self.grants(customerID: customer.id, on: connection).first(where: { $0.id == id }) else {
                throw DomainError.notFound("grant \(id)")
            }
            if revoked > 0 {
                try EntitlementAnnouncements.markDue(customerID: customer.id, externalID: customer.externalID, on: connection, now: now)
                try DomainEvents.grant(.grantRevoked, grant, customer: DomainEvents.customerRef(customer), on: connection, now: now)
            }
            return grant
        }
    }

    static func grants(customerID: String, on connection: any SQLConnection) throws -> [Grant] {
        try connection.query("""
            SELECT id, feature_key, value, reason, granted_by, created_at, expires_at, revoked_at
            FROM grants WHERE customer_id = \(customerID) ORDER BY created_at, id
            """).map(grant(from:))
    }

    /// The grants of each of `customerIDs` (one query, or a few), keyed by customer id; a customer without
    /// grants has no entry.
    static func grants(customerIDs: [String], on connection: any SQLConnection) throws -> [String: [Grant]] {
        var result: [String: [Grant]] = [:]
        for range in UsageRepository.chunks(customerIDs.count, dialect: connection.dialect) {
            let chunk = customerIDs[range]
            var statement = RowsStatement("""
                SELECT customer_id, id, feature_key, value, reason, granted_by, created_at, expires_at, revoked_at
                FROM grants WHERE customer_id IN (
                """)
            for id in chunk { statement.value(id.sqlValue) }
            for row in try connection.query(statement.sql(tail: ") ORDER BY created_at, id")) {
                result[try row.get("customer_id"), default: []].append(try grant(from: row))
            }
        }
        return result
    }

    private static func grant(from row: Row) throws -> Grant {
        Grant(
            id: try row.get("id"), feature: try StoredValue.featureKey(try row.get("feature_key")),
            value: try StoredValue.value(try row.get("value")), reason: try row.get("reason"), grantedBy: try row.get("granted_by"),
            createdAt: try row.get("created_at"), expiresAt: try row.get("expires_at"), revokedAt: try row.get("revoked_at"))
    }
}
