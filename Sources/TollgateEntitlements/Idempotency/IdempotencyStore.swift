package import Foundation
import Synchronization
import TollgateCrypto
package import TollgateLogging
package import TollgateStore

/// Remembers the responses to requests sent with an `Idempotency-Key`, per API key, for 24 hours.
///
/// The first request with a key reserves it (`begin` → `.proceed`), runs, and records its response
/// (`complete`); a repeat with the same request gets that response back (`.replay`); the same key
/// with a different request is refused (`.mismatch`); a repeat while the first still runs is
/// refused (`.inProgress`). A request that failed on the server's side releases the key
/// (`release`) so that a retry runs again.
///
/// A reservation is held under a lease (``Lease``): while its request runs, this process renews it
/// (``IdempotencyLeases``, a heartbeat); once it runs out with no response recorded — the process
/// that reserved it died — the key counts as released, and the next request with it takes the
/// reservation over and runs. A holder that lost its lease records nothing (`complete` answers
/// false), so the response stored is the one of the request that holds the key.
package final class IdempotencyStore: Sendable {
    package static let retention: TimeInterval = 24 * 3600
    package static let maximumKeyLength = 255

    /// How long a reservation survives its holder.
    package struct Lease: Sendable, Equatable {
        /// How long a reservation stays held after its last renewal. Default 15 s: a key whose
        /// process died is free for a retry at most this long after the death.
        package var duration: TimeInterval
        /// How often the leases of running requests are renewed. Default 3 s: a renewal that waits
        /// out the store's whole checkout timeout (10 s) still lands before the lease runs out.
        package var renewalInterval: Duration

        package init(duration: TimeInterval = 15, renewalInterval: Duration = .seconds(3)) {
            self.duration = duration
            self.renewalInterval = renewalInterval
        }
    }

    package struct StoredResponse: Sendable, Equatable {
        package var status: Int
        package var contentType: String?
        package var body: [UInt8]

        package init(status: Int, contentType: String?, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    /// A key reserved by one request: pass it to ``complete(_:response:)`` or ``release(_:)``, one
    /// of which must follow (until then its lease is renewed).
    package struct Reservation: Sendable, Hashable {
        package let apiKeyID: String
        package let key: String
        /// The lease owner: a fresh token per reservation.
        let owner: String
    }

    package enum Outcome: Sendable, Equatable {
        case proceed(Reservation)
        case replay(StoredResponse)
        case inProgress
        case mismatch
    }

    private let database: any Database
    package let lease: Lease
    private let leases: IdempotencyLeases
    private let logger: Logger
    /// When expired keys were last deleted; they are deleted at most once a minute.
    private let lastPurge = Mutex<Date>(.distantPast)

    package init(database: any Database, lease: Lease = Lease(), logger: Logger = .disabled) {
        self.database = database
        self.lease = lease
        leases = IdempotencyLeases(database: database, lease: lease, logger: logger)
        self.logger = logger
    }

    /// Reserves `key` for a request whose method, path and body hash to `requestHash`.
    package func begin(apiKeyID: String, key: String, requestHash: String, now: Date = Date()) throws -> Outcome {
        guard !key.isEmpty, key.count <= Self.maximumKeyLength else {
            throw DomainError.invalid("Idempotency-Key", "must be 1 to \(Self.maximumKeyLength) characters")
        }
        purgeExpired(now: now)
        let owner = try SecureRandom.token(16)
        var outcome: Outcome?
        do {
            outcome = try reserve(apiKeyID: apiKeyID, key: key, requestHash: requestHash, owner: owner, now: now)
        } catch let error as StoreError where error.code == .uniqueViolation {
            // A concurrent first request inserted the key between our read and our insert.
        }
        // Once more after losing a race (an insert, or the takeover of an abandoned reservation):
        // the winner's row now decides.
        let decided = try outcome ?? reserve(apiKeyID: apiKeyID, key: key, requestHash: requestHash, owner: owner, now: now) ?? .inProgress
        if case .proceed(let reservation) = decided { leases.hold(reservation.owner) }
        return decided
    }

    /// One attempt, in one transaction; nil when a concurrent request took an abandoned reservation first.
    private func reserve(apiKeyID: String, key: String, requestHash: String, owner: String, now: Date) throws -> Outcome? {
        let reservation = Reservation(apiKeyID: apiKeyID, key: key, owner: owner)
        let leaseEnd = now.addingTimeInterval(lease.duration)
        return try database.transaction { connection -> Outcome? in
            let cutoff = now.addingTimeInterval(-Self.retention)
            if let row = try connection.queryFirst("""
                SELECT request_hash, status, content_type, response_body, created_at, lease_owner, lease_expires_at FROM idempotency_keys
                WHERE api_key_id = \(apiKeyID) AND key = \(key)
                """) {
                let created: Date = try row.get("created_at")
                let leaseExpires: Date? = try row.get("lease_expires_at")
                let status: Int? = try row.get("status")
                // Without a response: held while the lease runs (rows from before leases: while kept).
                let abandoned = status == nil && leaseExpires.map { $0 <= now } ?? false
                if created > cutoff, !abandoned {
                    guard try row.get("request_hash") == requestHash else { return .mismatch }
                    guard let status else { return .inProgress }
                    return .replay(StoredResponse(
                        status: status, contentType: try row.get("content_type"), body: try row.get("response_body") ?? []))
                }
                if created > cutoff {
                    // Its holder stopped renewing: take it over, unless another retry just did.
                    let previous: String? = try row.get("lease_owner")
                    let taken = try connection.execute("""
                        UPDATE idempotency_keys SET request_hash = \(requestHash), lease_owner = \(owner), lease_expires_at = \(leaseEnd),
                            created_at = \(now)
                        WHERE api_key_id = \(apiKeyID) AND key = \(key) AND status IS NULL AND lease_owner = \(previous)
                        """)
                    guard taken == 1 else { return nil }
                    logger.info("idempotency: took over a reservation whose holder stopped renewing it", ["api_key_id": apiKeyID])
                    return .proceed(reservation)
                }
                try connection.execute("DELETE FROM idempotency_keys WHERE api_key_id = \(apiKeyID) AND key = \(key)")
            }
            try connection.execute("""
                INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at, lease_owner, lease_expires_at)
                VALUES (\(apiKeyID), \(key), \(requestHash), \(now), \(owner), \(leaseEnd))
                """)
            return .proceed(reservation)
        }
    }

    /// Records the response of the request holding `reservation`. False when it no longer held the
    /// key (its lease ran out and a retry took the key over): nothing is recorded.
    @discardableResult
    package func complete(_ reservation: Reservation, response: StoredResponse) throws -> Bool {
        defer { leases.drop(reservation.owner) }
        return try database.withConnection { connection in
            try connection.execute("""
                UPDATE idempotency_keys SET status = \(response.status), content_type = \(response.contentType),
                    response_body = \(response.body), lease_expires_at = NULL
                WHERE api_key_id = \(reservation.apiKeyID) AND key = \(reservation.key) AND lease_owner = \(reservation.owner)
                    AND status IS NULL
                """) == 1
        }
    }

    /// Forgets a reservation whose request failed on the server's side, so a retry runs again.
    package func release(_ reservation: Reservation) throws {
        defer { leases.drop(reservation.owner) }
        try database.withConnection { connection in
            try connection.execute("""
                DELETE FROM idempotency_keys
                WHERE api_key_id = \(reservation.apiKeyID) AND key = \(reservation.key) AND lease_owner = \(reservation.owner)
                    AND status IS NULL
                """)
        }
    }

    /// Stops renewing `reservation` and leaves its row as it is: what a process that dies does (tests).
    func abandon(_ reservation: Reservation) {
        leases.drop(reservation.owner)
    }

    private func purgeExpired(now: Date) {
        let due = lastPurge.withLock { last -> Bool in
            guard now.timeIntervalSince(last) >= 60 else { return false }
            last = now
            return true
        }
        guard due else { return }
        _ = try? database.withConnection { connection in
            try connection.execute("DELETE FROM idempotency_keys WHERE created_at < \(now.addingTimeInterval(-Self.retention))")
        }
    }
}
