import Foundation
import TollgateBase
import TollgateEntitlements
import TollgateEvents
import TollgateStore

/// The events of OAuth connections, each appended in the transaction of its change: `data.object`
/// is the connection as the API shows it (never a token).
enum IntegrationEvents {
    static func append(
        _ type: EventType, _ connection: OAuthConnection, extra: [String: JSONValue] = [:], on sql: any SQLConnection, now: Date
    ) throws {
        var data = extra
        data["object"] = try DomainEvents.encode(connection)
        try EventLog.append(
            type, customer: EventCustomer(id: connection.customerID, externalID: connection.customer), data: .object(data), on: sql, now: now)
    }
}
