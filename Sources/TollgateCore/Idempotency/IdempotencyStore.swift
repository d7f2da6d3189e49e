import Foundation
import Synchronization
import TollgateStore

/// Remembers the responses to requests sent with an `Idempotency-Key`, per API key, for 24 hours.
///
/// The first request with a key reserves it (`begin` → `.proceed`), runs, and records its response
/// (`complete`); a repeat with the same request gets that response back (`.replay`); the same key
/// with a different request is refused (`.mismatch`); a repeat while the first still runs is
/// refused (`.inProgress`). A request that failed on the server's side releases the key
/// (`release`) so that a retry runs again.
public final class IdempotencyStore: Sendable {
    public static let retention: TimeInterval = 24 * 3600
    public static let maximumKeyLength = 255

    public struct StoredResponse: Sendable, Equatable {
        public var status: Int
        public var contentType: String?
        public var body: [UInt8]

        public init(status: Int, contentType: String?, body: [UInt8]) {
            self.status = status
            self.contentType = contentType
            self.body = body
        }
    }

    public enum Outcome: Sendable, Equatable {
        case proceed
        case replay(StoredResponse)
        case inProgress
        case mismatch
    }

    private let database: any Database
    /// When expired keys were last deleted; they are deleted at most once a minute.
    private let lastPurge = Mutex<Date>(.distantPast)

    public init(database: any Database) {
        self.database = database
    }

    /// Reserves `key` for a request whose method, path and body hash to `requestHash`.
    public func begin(apiKeyID: String, key: String, requestHash: String, now: Date = Date()) throws -> Outcome {
        guard !key.isEmpty, key.count <= Self.maximumKeyLength else {
            throw DomainError.invalid("Idempotency-Key", "must be 1 to \(Self.maximumKeyLength) characters")
        }
        purgeExpired(now: now)
        do {
            return try reserve(apiKeyID: apiKeyID, key: key, requestHash: requestHash, now: now)
        } catch let error as StoreError where error.code == .uniqueViolation {
            // A concurrent first request inserted the key between our read and our insert.
            return try reserve(apiKeyID: apiKeyID, key: key, requestHash: requestHash, now: now)
        }
    }

    private func reserve(apiKeyID: String, key: String, requestHash: String, now: Date) throws -> Outcome {
        try database.transaction { connection in
            let cutoff = now.addingTimeInterval(-Self.retention)
            if let row = try connection.queryFirst("""
                SELECT request_hash, status, content_type, response_body, created_at FROM idempotency_keys
                WHERE api_key_id = \(apiKeyID) AND key = \(key)
                """) {
                let created: Date = try row.get("created_at")
                if created > cutoff {
                    guard try row.get("request_hash") == requestHash else { return .mismatch }
                    guard let status: Int = try row.get("status") else { return .inProgress }
                    return .replay(StoredResponse(
                        status: status, contentType: try row.get("content_type"), body: try row.get("response_body") ?? []))
                }
                try connection.execute("DELETE FROM idempotency_keys WHERE api_key_id = \(apiKeyID) AND key = \(key)")
            }
            try connection.execute("""
                INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at)
                VALUES (\(apiKeyID), \(key), \(requestHash), \(now))
                """)
            return .proceed
        }
    }

    /// Records the response of a request that reserved `key`.
    public func complete(apiKeyID: String, key: String, response: StoredResponse) throws {
        try database.withConnection { connection in
            try connection.execute("""
                UPDATE idempotency_keys SET status = \(response.status), content_type = \(response.contentType),
                    response_body = \(response.body)
                WHERE api_key_id = \(apiKeyID) AND key = \(key)
                """)
        }
    }

    /// Forgets a reservation whose request failed on the server's side, so a retry runs again.
    public func release(apiKeyID: String, key: String) throws {
        try database.withConnection { connection in
            try connection.execute("DELETE FROM idempotency_keys WHERE api_key_id = \(apiKeyID) AND key = \(key) AND status IS NULL")
        }
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
