import Foundation
import TollgateBase
import TollgateCrypto
import TollgateEntitlements
import TollgateEvents
import TollgateOutbox
import TollgateStore
import TollgateWire

/// The delivery worker's statements (``WebhookDeliveryWorker``): claiming an endpoint, fanning
/// the event log out into its deliveries, claiming its next delivery, recording an outcome.
///
/// The endpoint's lease (`webhook_endpoints.lease_owner`, `lease_expires_at`) makes one worker
/// (of any process) its only sender: one request in flight per endpoint, in log order. Each
/// delivery has its own lease too, so a delivery a killed worker held is sent again once it runs
/// out; every write checks the lease it was made under, so a worker that lost one writes nothing.
struct WebhookDeliveryStore: Sendable {
    let database: any Database

    static let columns = """
        id, endpoint_id, event_id, event_type, event_position, status, attempts, next_attempt_at, last_status_code, last_latency_ms, \
        last_error, last_attempt_at, delivered_at, created_at, updated_at
        """

    /// An endpoint a worker holds.
    struct ClaimedEndpoint: Sendable {
        var id: String
        var url: String
        var events: EventSelection
        var secret: WebhookSecret
        var previousSecret: WebhookSecret?
        var previousSecretExpiresAt: Date?
        var cursor: Int64
        var failingSince: Date?

        /// The secrets that sign at `now`: the current one, and the previous one during its overlap.
        func signingSecrets(at now: Date) -> [WebhookSecret] {
            guard let previousSecret, let until = previousSecretExpiresAt, now < until else { return [secret] }
            return [secret, previousSecret]
        }
    }

    /// A delivery a worker holds.
    struct ClaimedDelivery: Sendable {
        var id: String
        var eventID: String
        var payload: String
        /// Including this claim.
        var attempts: Int
        var retryFrom: Date
    }

    /// Takes one enabled endpoint nobody holds that has work: events past its cursor (`head` is
    /// the log's), or a due delivery (pending and due, or held under a lease that ran out). The
    /// endpoint served longest ago first.
    func claimEndpoint(owner: String, head: Int64, lease: TimeInterval, dueBy: Date? = nil, now: Date) throws -> ClaimedEndpoint? {
        let dueBy = dueBy ?? now
        return try database.transaction { connection in
            try connection.queryFirst("""
                UPDATE webhook_endpoints SET lease_owner = \(owner), lease_expires_at = \(now.addingTimeInterval(lease))
                WHERE id IN (
                    SELECT id FROM webhook_endpoints e
                    WHERE e.status = 'enabled' AND (e.lease_owner IS NULL OR e.lease_expires_at <= \(now))
                        AND (e.cursor < \(head) OR EXISTS (
                            SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = e.id
                                AND ((d.status = 'pending' AND d.next_attempt_at <= \(dueBy))
                                    OR (d.status = 'delivering' AND d.lease_expires_at <= \(now)))))
                    ORDER BY COALESCE(e.lease_expires_at, e.created_at), e.id LIMIT 1\(raw: connection.dialect.claimRowsClause))
                RETURNING id, url, event_types, secret, previous_secret, previous_secret_expires_at, cursor, failing_since
                """).map { row in
                let endpoint = try WebhookEndpointRepository.endpointSelection(from: row)
                guard let secret = WebhookSecret(try row.get("secret")) else { throw StoreError(.decoding, "bad webhook secret in the store") }
                return ClaimedEndpoint(
                    id: try row.get("id"), url: try row.get("url"), events: endpoint, secret: secret,
                    previousSecret: (try row.get("previous_secret") as String?).flatMap(WebhookSecret.init),
                    previousSecretExpiresAt: try row.get("previous_secret_expires_at"), cursor: try row.get("cursor"),
                    failingSince: try row.get("failing_since"))
            }
        }
    }

    /// Gives the endpoint back (another worker may take it at once).
    func release(endpoint id: String, owner: String, now: Date) throws {
        try database.withConnection { connection in
            try connection.execute("""
                UPDATE webhook_endpoints SET lease_owner = NULL, lease_expires_at = \(now) WHERE id = \(id) AND lease_owner = \(owner)
                """)
        }
    }

    /// Queues a delivery of each of `events` and moves the endpoint's cursor from `from` to `to`,
    /// in one transaction, only while `owner` still holds the endpoint and its cursor is still
    /// `from`. Returns false (nothing written) otherwise.
    func fanOut(endpoint id: String, owner: String, events: [Event], from: Int64, to: Int64, due: Date, now: Date) throws -> Bool {
        let encoder = WireJSON.encoder()
        let payloads = try events.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
        return try database.transaction { connection in
            let moved = try connection.execute("""
                UPDATE webhook_endpoints SET cursor = \(to) WHERE id = \(id) AND lease_owner = \(owner) AND cursor = \(from)
                """)
            guard moved == 1 else { return false }
            for (event, payload) in zip(events, payloads) {
                _ = try Self.insert(endpointID: id, eventID: event.id, eventType: event.type.rawValue, position: event.position, payload: payload,
                                    due: due, on: connection, now: now)
            }
            return true
        }
    }

    /// Takes the endpoint's next due delivery in log order (a test event first), renewing the
    /// endpoint's lease; nil when none is due or `owner` lost the endpoint. Due: pending with its
    /// next attempt at or before `dueBy` (default `now`), or held under a lease that ran out.
    func claimNextDelivery(endpoint id: String, owner: String, lease: TimeInterval, dueBy: Date? = nil, now: Date) throws -> ClaimedDelivery? {
        let until = now.addingTimeInterval(lease)
        let dueBy = dueBy ?? now
        return try database.transaction { connection in
            let held = try connection.execute("""
                UPDATE webhook_endpoints SET lease_expires_at = \(until) WHERE id = \(id) AND lease_owner = \(owner) AND status = 'enabled'
                """)
            guard held == 1 else { return nil }
            return try connection.queryFirst("""
                UPDATE webhook_deliveries SET status = 'delivering', lease_owner = \(owner), lease_expires_at = \(until),
                    attempts = attempts + 1, last_attempt_at = \(now), updated_at = \(now)
                WHERE id IN (
                    SELECT id FROM webhook_deliveries
                    WHERE endpoint_id = \(id) AND ((status = 'pending' AND next_attempt_at <= \(dueBy))
                        OR (status = 'delivering' AND lease_expires_at <= \(now)))
                    ORDER BY COALESCE(event_position, 0), created_at, id LIMIT 1)
                RETURNING id, event_id, payload, attempts, retry_from
                """).map { row in
                ClaimedDelivery(
                    id: try row.get("id"), eventID: try row.get("event_id"), payload: try row.get("payload"), attempts: try row.get("attempts"),
                    retryFrom: try row.get("retry_from"))
            }
        }
    }

    /// How one attempt went.
    struct Attempt: Sendable {
        /// The answer's status, when one came.
        var statusCode: Int?
        var latencyMs: Int
        /// Nil when the receiver answered 2xx; else why not (never a secret).
        var error: String?
        var succeeded: Bool { error == nil }
    }

    /// What the worker decided after a failed attempt.
    enum NextStep: Sendable {
        /// Retry at this instant.
        case retry(at: Date)
        /// Retries ran out.
        case fail
    }

    /// What ``finish(delivery:endpoint:owner:attempt:next:disableAfter:operatorEmail:now:)`` did to the endpoint.
    enum EndpointChange: Sendable, Equatable {
        case none
        /// Every delivery failed since the endpoint's failure clock started, for too long.
        case disabled(reason: String)
    }

    /// Records an attempt of a delivery `owner` holds and the endpoint's failure clock, in one
    /// transaction: success clears the clock; a failure starts it, and once it is older than
    /// `disableAfter` the endpoint is disabled and `operatorEmail` (when set) gets a mail in the
    /// same transaction. Writes nothing when the delivery's lease was lost.
    func finish(
        delivery: ClaimedDelivery, endpoint id: String, owner: String, attempt: Attempt, next: NextStep, disableAfter: TimeInterval,
        operatorEmail: String?, now: Date
    ) throws -> (recorded: Bool, change: EndpointChange) {
        try database.transaction { connection in
            let error = attempt.error.map { String($0.prefix(1000)) }
            let changed: Int
            if attempt.succeeded {
                changed = try connection.execute("""
                    UPDATE webhook_deliveries SET status = 'succeeded', lease_owner = NULL, lease_expires_at = NULL,
                        last_status_code = \(attempt.statusCode), last_latency_ms = \(attempt.latencyMs), last_error = NULL,
                        delivered_at = \(now), updated_at = \(now)
                    WHERE id = \(delivery.id) AND status = 'delivering' AND lease_owner = \(owner)
                    """)
                guard changed == 1 else { return (false, .none) }
                try connection.execute("UPDATE webhook_endpoints SET failing_since = NULL WHERE id = \(id) AND failing_since IS NOT NULL")
                return (true, .none)
            }
            let status: WebhookDeliveryStatus
            let nextAttempt: Date
            switch next {
            case .retry(let at): (status, nextAttempt) = (.pending, at)
            case .fail: (status, nextAttempt) = (.failed, now)
            }
            changed = try connection.execute("""
                UPDATE webhook_deliveries SET status = \(status.rawValue), next_attempt_at = \(nextAttempt), lease_owner = NULL,
                    lease_expires_at = NULL, last_status_code = \(attempt.statusCode), last_latency_ms = \(attempt.latencyMs),
                    last_error = \(error), updated_at = \(now)
                WHERE id = \(delivery.id) AND status = 'delivering' AND lease_owner = \(owner)
                """)
            guard changed == 1 else { return (false, .none) }
            try connection.execute("""
                UPDATE webhook_endpoints SET failing_since = \(now) WHERE id = \(id) AND failing_since IS NULL
                """)
            guard let row = try connection.queryFirst("""
                SELECT url, failing_since FROM webhook_endpoints WHERE id = \(id) AND status = 'enabled'
                """) else { return (true, .none) }
            let since: Date = try row.get("failing_since")
            guard now.timeIntervalSince(since) >= disableAfter else { return (true, .none) }
            let sinceText = SQLTimestamp.format(since)
            let reason = "every delivery failed since \(sinceText)"
            try connection.execute("""
                UPDATE webhook_endpoints SET status = 'disabled', disabled_reason = \(reason), updated_at = \(now) WHERE id = \(id)
                """)
            if let operatorEmail {
                let url: String = try row.get("url")
                let data: JSONValue = [
                    "endpoint": ["id": .string(id), "url": .string(url)], "failing_since": .string(sinceText),
                    "last_error": .string(error ?? "unknown"), "disabled_at": .string(SQLTimestamp.format(now)),
                ]
                try Outbox.enqueue(
                    OutboxMail(.webhookEndpointDisabled, to: operatorEmail, data: data, dedupeKey: "webhook_endpoint_disabled:\(id):\(sinceText)"),
                    on: connection, now: now)
            }
            return (true, .disabled(reason: reason))
        }
    }

    // MARK: Rows (shared with the repository)

    /// Queues a delivery due at `due` (default `now`); returns its id, or nil when the endpoint
    /// already has one of this event.
    static func insert(
        endpointID: String, eventID: String, eventType: String, position: Int64?, payload: String, due: Date? = nil, on connection: any SQLConnection,
        now: Date
    ) throws -> String? {
        let id = "wdl_" + (try SecureRandom.token(20))
        let inserted = try connection.execute("""
            INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, event_position, payload, status, attempts, next_attempt_at,
                retry_from, created_at, updated_at)
            VALUES (\(id), \(endpointID), \(eventID), \(eventType), \(position), \(payload), 'pending', 0, \(due ?? now), \(now), \(now), \(now))
            ON CONFLICT (endpoint_id, event_id) DO NOTHING
            """)
        return inserted == 1 ? id : nil
    }

    static func find(id: String, endpointID: String, on connection: any SQLConnection) throws -> WebhookDelivery? {
        try connection.queryFirst("""
            SELECT \(raw: columns) FROM webhook_deliveries WHERE id = \(id) AND endpoint_id = \(endpointID)
            """).map(delivery(from:))
    }

    static func delivery(from row: Row) throws -> WebhookDelivery {
        WebhookDelivery(
            id: try row.get("id"), endpointID: try row.get("endpoint_id"), eventID: try row.get("event_id"), eventType: try row.get("event_type"),
            eventPosition: try row.get("event_position"), status: try StoredValue.decode(WebhookDeliveryStatus.self, try row.get("status")),
            attempts: try row.get("attempts"), nextAttemptAt: try row.get("next_attempt_at"), lastStatusCode: try row.get("last_status_code"),
            lastLatencyMs: try row.get("last_latency_ms"), lastError: try row.get("last_error"), lastAttemptAt: try row.get("last_attempt_at"),
            deliveredAt: try row.get("delivered_at"), createdAt: try row.get("created_at"), updatedAt: try row.get("updated_at"))
    }
}
