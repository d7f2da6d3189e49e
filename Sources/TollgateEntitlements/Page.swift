import Foundation
package import TollgateStore

/// A cursor-paginated list request: at most `limit` items after the item `startingAfter`.
package struct PageRequest: Sendable, Equatable {
    package static let defaultLimit = 20
    package static let maximumLimit = 100

    package var limit: Int
    package var startingAfter: String?

    /// Validates the limit (1 to 100); the field names are the API's query parameters.
    package init(limit: Int? = nil, startingAfter: String? = nil) throws(DomainError) {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw DomainError.invalid("limit", "must be from 1 to \(Self.maximumLimit)")
        }
        self.limit = limit
        self.startingAfter = startingAfter
    }
}

/// One page of a list and whether more follow.
package struct Page<Item: Sendable>: Sendable {
    package var items: [Item]
    package var hasMore: Bool

    package init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }
}

extension Page: Equatable where Item: Equatable {}

/// Newest-first keyset pagination over `(time column, id)` with an optional status filter, and
/// counts per status: the listings of stored Stripe events and of outbox mail.
package struct NewestFirstListing {
    /// The table, its selected columns and the time column ordered by (constants, never input).
    let table: String
    let columns: String
    let timeColumn: String
    /// What a row is called in the error for an unknown cursor (`event`, `message`).
    let noun: String

    package init(table: String, columns: String, timeColumn: String, noun: String) {
        self.table = table
        self.columns = columns
        self.timeColumn = timeColumn
        self.noun = noun
    }

    /// One page after the row `page.startingAfter`, newest first, optionally only rows with `status`.
    package func page<Item>(
        status: String?, page: PageRequest, on connection: any SQLConnection, decode: (Row) throws -> Item
    ) throws -> Page<Item> {
        let rows: [Row]
        if let cursor = page.startingAfter {
            guard let anchor = try connection.queryFirst("SELECT \(raw: timeColumn) AS anchor_time FROM \(raw: table) WHERE id = \(cursor)") else {
                throw DomainError.invalid("starting_after", "no \(noun) with id \(cursor)")
            }
            let time: Date = try anchor.get("anchor_time")
            rows = try connection.query("""
                SELECT \(raw: columns) FROM \(raw: table)
                WHERE (CAST(\(status) AS TEXT) IS NULL OR status = \(status))
                    AND (\(raw: timeColumn) < \(time) OR (\(raw: timeColumn) = \(time) AND id < \(cursor)))
                ORDER BY \(raw: timeColumn) DESC, id DESC LIMIT \(page.limit + 1)
                """)
        } else {
            rows = try connection.query("""
                SELECT \(raw: columns) FROM \(raw: table)
                WHERE CAST(\(status) AS TEXT) IS NULL OR status = \(status)
                ORDER BY \(raw: timeColumn) DESC, id DESC LIMIT \(page.limit + 1)
                """)
        }
        return Page(items: try rows.prefix(page.limit).map(decode), hasMore: rows.count > page.limit)
    }

    /// How many rows have each status.
    package func statusCounts<Status: RawRepresentable & Hashable>(_: Status.Type, on connection: any SQLConnection) throws -> [Status: Int]
    where Status.RawValue == String {
        var counts: [Status: Int] = [:]
        for row in try connection.query("SELECT status, COUNT(*) AS n FROM \(raw: table) GROUP BY status") {
            if let status = Status(rawValue: try row.get("status")) { counts[status] = try row.get("n") }
        }
        return counts
    }
}
