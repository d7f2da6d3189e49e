package import Foundation
package import TollgateEntitlements
import TollgateMail
package import TollgateStore

/// Why an address is never mailed.
package enum SuppressionReason: String, Sendable, Codable, CaseIterable {
    /// The server refused the recipient for good (added by the worker).
    case hardBounce = "hard_bounce"
    /// The recipient marked a mail as spam.
    case complaint
    /// Added by an operator.
    case manual
}

/// An address on the suppression list.
package struct Suppression: Sendable, Codable, Equatable {
    /// Lower-cased.
    package var address: String
    package var reason: SuppressionReason
    package var note: String?
    package var createdAt: Date
}

/// Addresses the outbox never mails (`mail_suppressions`). Addresses compare case-insensitively.
package struct SuppressionList: Sendable {
    let database: any Database

    package init(database: any Database) {
        self.database = database
    }

    /// Adds `address`; adding it again keeps the first entry. Returns the entry as stored, and
    /// whether this call added it.
    @discardableResult
    package func add(
        _ address: String, reason: SuppressionReason, note: String? = nil, now: Date = Date()
    ) throws -> (entry: Suppression, added: Bool) {
        let normalized = try Self.normalize(address)
        if let note, note.count > 500 { throw DomainError.invalid("note", "must be at most 500 characters") }
        return try database.transaction { connection in
            let added = try Self.add(normalized, reason: reason, note: note, on: connection, now: now)
            guard let entry = try Self.find(normalized, on: connection) else { throw DomainError.notFound("suppression \(normalized)") }
            return (entry, added)
        }
    }

    /// Removes `address`. Returns false when it was not on the list.
    @discardableResult
    package func remove(_ address: String) throws -> Bool {
        let normalized = try Self.normalize(address)
        return try database.withConnection { connection in
            try connection.execute("DELETE FROM mail_suppressions WHERE address = \(normalized)") == 1
        }
    }

    /// One page of entries, by address; `startingAfter` is the last address of the previous page.
    package func list(page: PageRequest) throws -> Page<Suppression> {
        var cursor: String?
        if let after = page.startingAfter {
            guard let normalized = try? Self.normalize(after) else { throw DomainError.invalid("starting_after", "must be an email address") }
            cursor = normalized
        }
        return try database.withConnection { connection in
            let rows = try connection.query("""
                SELECT address, reason, note, created_at FROM mail_suppressions
                WHERE CAST(\(cursor) AS TEXT) IS NULL OR address > \(cursor)
                ORDER BY address LIMIT \(page.limit + 1)
                """)
            return Page(items: try rows.prefix(page.limit).map(Self.entry(from:)), hasMore: rows.count > page.limit)
        }
    }

    /// The entry for `address`, or nil.
    package func find(_ address: String) throws -> Suppression? {
        let normalized = try Self.normalize(address)
        return try database.withConnection { connection in try Self.find(normalized, on: connection) }
    }

    /// Returns false when the address was already on the list.
    static func add(_ normalized: String, reason: SuppressionReason, note: String?, on connection: any SQLConnection, now: Date) throws -> Bool {
        try connection.execute("""
            INSERT INTO mail_suppressions (address, reason, note, created_at) VALUES (\(normalized), \(reason.rawValue), \(note), \(now))
            ON CONFLICT (address) DO NOTHING
            """) == 1
    }

    static func find(_ normalized: String, on connection: any SQLConnection) throws -> Suppression? {
        try connection.queryFirst("SELECT address, reason, note, created_at FROM mail_suppressions WHERE address = \(normalized)")
            .map(entry(from:))
    }

    /// The one spelling of an address in the list: trimmed and lower-cased.
    static func normalize(_ address: String) throws(DomainError) -> String {
        let trimmed = address.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        guard trimmed.count <= 320, MailAddress(trimmed).isValid else { throw DomainError.invalid("address", "must be an email address") }
        return trimmed
    }

    private static func entry(from row: Row) throws -> Suppression {
        Suppression(
            address: try row.get("address"), reason: try StoredValue.decode(SuppressionReason.self, try row.get("reason")),
            note: try row.get("note"), createdAt: try row.get("created_at"))
    }
}
