// STUB of the lead's TollgateEvents (docs: /work/briefs/events-interface.md); replaced by main's on merge.
package import Foundation
package import TollgateBase
package import TollgateStore
import TollgateCrypto
import TollgateWire

package enum EventType: String, CaseIterable, Sendable, Codable {
    case customerCreated = "customer.created"
    case customerUpdated = "customer.updated"
    case customerDeleted = "customer.deleted"
    case subscriptionCreated = "subscription.created"
    case subscriptionUpdated = "subscription.updated"
    case subscriptionCanceled = "subscription.canceled"
    case entitlementsUpdated = "entitlements.updated"
    case grantCreated = "grant.created"
    case grantRevoked = "grant.revoked"
    case grantExpired = "grant.expired"
    case usageThresholdReached = "usage.threshold_reached"
    case usageLimitReached = "usage.limit_reached"
}

package struct Event: Sendable, Equatable, Codable {
    package var id: String
    package var type: EventType
    package var createdAt: Date
    package var customer: String?
    package var sequence: Int64?
    package var position: Int64
    package var data: JSONValue
}

package struct EventFilter: Sendable {
    package var customer: String?
    package var types: Set<EventType>?
    package init(customer: String? = nil, types: Set<EventType>? = nil) {
        self.customer = customer
        self.types = types
    }
    package static let all = EventFilter()
}

package struct EventCustomer: Sendable {
    package var externalID: String
    package init(externalID: String) { self.externalID = externalID }
}

package final class EventLog: Sendable {
    let database: any Database
    package let published = Watermark()

    package init(database: any Database) { self.database = database }

    package func read(after position: Int64, limit: Int, filter: EventFilter = .all) throws -> [Event] {
        try database.withConnection { connection in
            try connection.query("SELECT * FROM events WHERE position > \(position) ORDER BY position LIMIT \(limit * 50 + 50)").map { row in
                Event(id: try row.get("id"), type: EventType(rawValue: try row.get("type"))!, createdAt: try row.get("created_at"),
                      customer: try row.get("customer"), sequence: try row.get("sequence"), position: try row.get("position"),
                      data: JSONValue.parse(Array((try row.get("data") as String).utf8)) ?? .null)
            }.filter { event in filter.types.map { $0.contains(event.type) } ?? true }.prefix(limit).map { $0 }
        }
    }

    package func head() throws -> Int64 {
        try database.withConnection { connection in
            try connection.queryFirst("SELECT COALESCE(MAX(position), 0) AS head FROM events")!.get("head")
        }
    }

    package static func append(_ type: EventType, customer: EventCustomer?, data: JSONValue, on connection: any SQLConnection, now: Date) throws {
        let position: Int64 = try connection.queryFirst("SELECT COALESCE(MAX(position), 0) + 1 AS next FROM events")!.get("next")
        let body = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        try connection.execute("""
            INSERT INTO events (position, id, type, customer, sequence, created_at, data)
            VALUES (\(position), \("evt_" + (try SecureRandom.token(24))), \(type.rawValue), \(customer?.externalID), \(position), \(now), \(body))
            """)
    }
}
