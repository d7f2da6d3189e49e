package import Foundation
import TollgateBase
import TollgateCrypto
package import TollgateEntitlements
package import TollgateEvents
package import TollgateStore
import TollgateWire

/// Webhook endpoints and their deliveries in the store (`webhook_endpoints`,
/// `webhook_deliveries`, migration 0015): what the admin API and the CLI do. The worker's side is
/// ``WebhookDeliveryStore``.
///
/// Every change is validated before anything is written, so a refused request changes nothing.
/// The signing secret is returned by ``create(_:now:)`` and ``rotateSecret(id:now:)`` only.
package struct WebhookEndpointRepository: Sendable {
    let database: any Database
    let events: EventLog
    /// How long the secret before a rotation keeps signing beside the new one. Default 24 hours.
    let rotationOverlap: TimeInterval

    package init(database: any Database, events: EventLog, rotationOverlap: TimeInterval = 86_400) {
        self.database = database
        self.events = events
        self.rotationOverlap = rotationOverlap
    }

    /// The event type of ``sendTest(id:now:)``'s delivery (not an event of the log).
    package static let testEventType = "webhook_endpoint.test"
    static let maximumDescription = 500

    static let columns = """
        id, url, description, event_types, status, disabled_reason, cursor, failing_since, previous_secret_expires_at, created_at, updated_at
        """
    static let listing = NewestFirstListing(table: "webhook_endpoints", columns: columns, timeColumn: "created_at", noun: "webhook endpoint")

    // MARK: Endpoints

    /// Registers an endpoint that gets the events logged from now on (its cursor is the log's
    /// head), with a new secret.
    package func create(_ request: WebhookEndpointRequest, now: Date = Date()) throws -> WebhookEndpointWithSecret {
        let url = try WebhookEndpointURL.validate(request.url)
        let selection = try EventSelection(names: request.events)
        let description = try Self.validate(description: request.description)
        let secret = try WebhookSecret.generate()
        let id = "we_" + (try SecureRandom.token(20))
        let head = try events.head()
        let endpoint = try database.transaction { connection in
            try connection.execute("""
                INSERT INTO webhook_endpoints (id, url, description, event_types, status, secret, cursor, created_at, updated_at)
                VALUES (\(id), \(url), \(description), \(try Self.text(selection)), 'enabled', \(secret.revealed), \(head), \(now), \(now))
                """)
            return try Self.find(id: id, on: connection)
        }
        guard let endpoint else { throw DomainError.notFound("webhook endpoint \(id)") }
        return WebhookEndpointWithSecret(endpoint: endpoint, secret: secret)
    }

    /// Endpoints, newest first.
    package func list(page: PageRequest) throws -> Page<WebhookEndpoint> {
        try database.withConnection { connection in
            try Self.listing.page(status: nil, page: page, on: connection, decode: Self.endpoint(from:))
        }
    }

    package func get(id: String) throws -> WebhookEndpoint {
        guard let endpoint = try database.withConnection({ try Self.find(id: id, on: $0) }) else {
            throw DomainError.notFound("webhook endpoint \(id)")
        }
        return endpoint
    }

    /// Applies the fields `changes` gives. Disabling stops deliveries (they wait); enabling again
    /// clears the reason and the failure clock, and the endpoint gets the events logged from then
    /// on (its cursor moves to the log's head; what was delivered or pending stays).
    package func update(id: String, _ changes: WebhookEndpointChanges, now: Date = Date()) throws -> WebhookEndpoint {
        guard !changes.isEmpty else { throw DomainError.invalid("body", "name at least one of url, events, description, enabled") }
        let url = try changes.url.map { url throws(DomainError) in try WebhookEndpointURL.validate(url) }
        let selection = try changes.events.map { names throws(DomainError) in try EventSelection(names: names) }
        let description = try changes.description.map { text throws(DomainError) in try Self.validate(description: text) }
        let head = changes.enabled == true ? try events.head() : nil
        return try database.transaction { connection in
            guard let current = try Self.find(id: id, on: connection, locking: true) else { throw DomainError.notFound("webhook endpoint \(id)") }
            let newDescription: String? = changes.description == nil ? current.description : (description ?? nil)
            let enabling = changes.enabled == true && current.status == .disabled
            let disabling = changes.enabled == false && current.status == .enabled
            try connection.execute("""
                UPDATE webhook_endpoints SET
                    url = \(url ?? current.url),
                    event_types = \(try Self.text(selection ?? current.events)),
                    description = \(newDescription),
                    status = \((enabling ? WebhookEndpointStatus.enabled : disabling ? .disabled : current.status).rawValue),
                    disabled_reason = \(enabling ? nil : disabling ? "disabled by an operator" : current.disabledReason),
                    failing_since = \(enabling ? nil : current.failingSince),
                    cursor = \(enabling ? max(head ?? current.cursor, current.cursor) : current.cursor),
                    updated_at = \(now)
                WHERE id = \(id)
                """)
            guard let updated = try Self.find(id: id, on: connection) else { throw DomainError.notFound("webhook endpoint \(id)") }
            return updated
        }
    }

    /// Deletes the endpoint and its deliveries (a delivery in flight finishes but records nothing).
    package func delete(id: String) throws {
        try database.transaction { connection in
            try connection.execute("DELETE FROM webhook_deliveries WHERE endpoint_id = \(id)")
            guard try connection.execute("DELETE FROM webhook_endpoints WHERE id = \(id)") == 1 else {
                throw DomainError.notFound("webhook endpoint \(id)")
            }
        }
    }

    /// A new signing secret. The one it replaces keeps signing beside it for ``rotationOverlap``
    /// (a receiver configured with either verifies every delivery meanwhile); a secret two
    /// rotations old stops at once.
    package func rotateSecret(id: String, now: Date = Date()) throws -> WebhookEndpointWithSecret {
        let secret = try WebhookSecret.generate()
        let endpoint = try database.transaction { connection in
            let changed = try connection.execute("""
                UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_expires_at = \(now.addingTimeInterval(rotationOverlap)),
                    secret = \(secret.revealed), updated_at = \(now)
                WHERE id = \(id)
                """)
            guard changed == 1 else { throw DomainError.notFound("webhook endpoint \(id)") }
            return try Self.find(id: id, on: connection)
        }
        guard let endpoint else { throw DomainError.notFound("webhook endpoint \(id)") }
        return WebhookEndpointWithSecret(endpoint: endpoint, secret: secret)
    }

    /// Queues a `webhook_endpoint.test` delivery, due now, signed and retried like any other
    /// (also to a disabled endpoint, once it is enabled). Returns the delivery.
    package func sendTest(id: String, now: Date = Date()) throws -> WebhookDelivery {
        try database.transaction { connection in
            guard try Self.find(id: id, on: connection) != nil else { throw DomainError.notFound("webhook endpoint \(id)") }
            let eventID = "evt_test_" + (try SecureRandom.token(20))
            let payload: JSONValue = [
                "id": .string(eventID), "type": .string(Self.testEventType), "created_at": .string(Self.instant(now)),
                "customer": .null, "sequence": .null, "position": .null, "data": ["webhook_endpoint": .string(id)],
            ]
            let body = String(decoding: try WireJSON.encoder(keys: .verbatim).encode(payload), as: UTF8.self)
            let deliveryID = try WebhookDeliveryStore.insert(
                endpointID: id, eventID: eventID, eventType: Self.testEventType, position: nil, payload: body, on: connection, now: now)
            guard let delivery = try WebhookDeliveryStore.find(id: deliveryID ?? "", endpointID: id, on: connection) else {
                throw DomainError.notFound("delivery of \(eventID)")
            }
            return delivery
        }
    }

    // MARK: Deliveries

    /// One page of the endpoint's deliveries, newest first, optionally only those with `status`.
    package func deliveries(endpoint id: String, status: WebhookDeliveryStatus? = nil, page: PageRequest) throws -> Page<WebhookDelivery> {
        try database.withConnection { connection in
            guard try Self.find(id: id, on: connection) != nil else { throw DomainError.notFound("webhook endpoint \(id)") }
            let statusText = status?.rawValue
            var anchor: (Date, String)?
            if let cursor = page.startingAfter {
                guard let row = try connection.queryFirst(
                    "SELECT created_at FROM webhook_deliveries WHERE id = \(cursor) AND endpoint_id = \(id)")
                else { throw DomainError.invalid("starting_after", "no delivery \(cursor) of this endpoint") }
                anchor = (try row.get("created_at"), cursor)
            }
            let rows = try connection.query("""
                SELECT \(raw: WebhookDeliveryStore.columns) FROM webhook_deliveries
                WHERE endpoint_id = \(id) AND (CAST(\(statusText) AS TEXT) IS NULL OR status = \(statusText))
                    AND (CAST(\(anchor?.1) AS TEXT) IS NULL OR created_at < \(anchor?.0) OR (created_at = \(anchor?.0) AND id < \(anchor?.1)))
                ORDER BY created_at DESC, id DESC LIMIT \(page.limit + 1)
                """)
            return Page(items: try rows.prefix(page.limit).map(WebhookDeliveryStore.delivery(from:)), hasMore: rows.count > page.limit)
        }
    }

    /// Sends a delivery again: due now, with its attempts and retry window started afresh (the same
    /// event id and body, so the receiver can tell it is the same event). A delivery being sent
    /// right now is refused (409).
    package func redeliver(endpoint id: String, delivery deliveryID: String, now: Date = Date()) throws -> WebhookDelivery {
        try database.transaction { connection in
            guard try Self.find(id: id, on: connection) != nil else { throw DomainError.notFound("webhook endpoint \(id)") }
            guard let delivery = try WebhookDeliveryStore.find(id: deliveryID, endpointID: id, on: connection) else {
                throw DomainError.notFound("delivery \(deliveryID) of webhook endpoint \(id)")
            }
            guard delivery.status != .delivering else {
                throw DomainError.conflict("delivery \(deliveryID) is being sent now; wait for its outcome")
            }
            try connection.execute("""
                UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = \(now), lease_owner = NULL,
                    lease_expires_at = NULL, delivered_at = NULL, retry_from = \(now), updated_at = \(now)
                WHERE id = \(deliveryID) AND status <> 'delivering'
                """)
            guard let updated = try WebhookDeliveryStore.find(id: deliveryID, endpointID: id, on: connection) else {
                throw DomainError.notFound("delivery \(deliveryID)")
            }
            return updated
        }
    }

    /// Deletes finished deliveries (succeeded or failed) last changed before `before`, and
    /// returns how many: the event log's retention (`TOLLGATE_EVENT_RETENTION_DAYS`) applies to them
    /// too (`EventRetention`, built with them in `TollgateCore`).
    @discardableResult
    package func purgeDeliveries(before: Date) throws -> Int {
        try database.withConnection { connection in
            try connection.execute("DELETE FROM webhook_deliveries WHERE status IN ('succeeded', 'failed') AND updated_at < \(before)")
        }
    }

    // MARK: Rows

    static func validate(description: String?) throws(DomainError) -> String? {
        guard let description else { return nil }
        guard description.unicodeScalars.count <= maximumDescription else {
            throw .invalid("description", "must be at most \(maximumDescription) characters")
        }
        return description.isEmpty ? nil : description
    }

    static func text(_ selection: EventSelection) throws -> String {
        String(decoding: try JSONEncoder().encode(selection.names), as: UTF8.self)
    }

    static func instant(_ date: Date) -> String {
        String(decoding: (try? WireJSON.encoder().encode(date)) ?? Data(), as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
    }

    static func find(id: String, on connection: any SQLConnection, locking: Bool = false) throws -> WebhookEndpoint? {
        try connection.queryFirst("""
            SELECT \(raw: columns) FROM webhook_endpoints WHERE id = \(id)\(raw: locking ? connection.dialect.lockRowsClause : "")
            """).map(endpoint(from:))
    }

    /// The row's `event_types`.
    static func endpointSelection(from row: Row) throws -> EventSelection {
        let names = try JSONDecoder().decode([String].self, from: Data((try row.get("event_types") as String).utf8))
        do throws(DomainError) {
            return try EventSelection(names: names)
        } catch {
            // A type a newer version stored and this one does not know: keep the known ones.
            return .only(Set(names.compactMap(EventType.init(rawValue:))))
        }
    }

    static func endpoint(from row: Row) throws -> WebhookEndpoint {
        let selection = try endpointSelection(from: row)
        return WebhookEndpoint(
            id: try row.get("id"), url: try row.get("url"), description: try row.get("description"), events: selection,
            status: try StoredValue.decode(WebhookEndpointStatus.self, try row.get("status")), disabledReason: try row.get("disabled_reason"),
            cursor: try row.get("cursor"), failingSince: try row.get("failing_since"),
            previousSecretExpiresAt: try row.get("previous_secret_expires_at"),
            createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
    }
}
