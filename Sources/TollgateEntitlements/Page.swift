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
    ///
    /// The status, when given, is a condition of its own (`status = $1`), never `$1 IS NULL OR
    /// status = $1`: only then does the planner read the table's `(status, time, id)` index, where
    /// the catch-all form walked every row newest first for the few that match — a page of dead
    /// mail read all the sent mail before it (docs/console.md, Performance).
    package func page<Item>(
        status: String?, page: PageRequest, on connection: any SQLConnection, decode: (Row) throws -> Item
    ) throws -> Page<Item> {
        var conditions: [String] = []
        var bindings: [SQLValue] = []
        func bind(_ value: some SQLBindable) -> String {
            bindings.append(value.sqlValue)
            return "$\(bindings.count)"
        }
        if let status { conditions.append("status = \(bind(status))") }
        if let cursor = page.startingAfter {
            guard let anchor = try connection.queryFirst("SELECT \(raw: timeColumn) AS anchor_time FROM \(raw: table) WHERE id = \(cursor)") else {
                throw DomainError.invalid("starting_after", "no \(noun) with id \(cursor)")
            }
            let time: Date = try anchor.get("anchor_time")
            conditions.append("(\(timeColumn) < \(bind(time)) OR (\(timeColumn) = \(bind(time)) AND id < \(bind(cursor))))")
        }
        let filter = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        let rows = try connection.query(SQL(
            "SELECT \(columns) FROM \(table)\(filter) ORDER BY \(timeColumn) DESC, id DESC LIMIT \(bind(page.limit + 1))", bindings))
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
