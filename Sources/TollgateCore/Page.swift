import Foundation
import TollgateStore

/// A cursor-paginated list request: at most `limit` items after the item `startingAfter`.
public struct PageRequest: Sendable, Equatable {
    public static let defaultLimit = 20
    public static let maximumLimit = 100

    public var limit: Int
    public var startingAfter: String?

    /// Validates the limit (1 to 100); the field names are the API's query parameters.
    public init(limit: Int? = nil, startingAfter: String? = nil) throws(DomainError) {
        let limit = limit ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw DomainError.invalid("limit", "must be from 1 to \(Self.maximumLimit)")
        }
        self.limit = limit
        self.startingAfter = startingAfter
    }
}

/// One page of a list and whether more follow.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var hasMore: Bool

    public init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }
}

extension Page: Equatable where Item: Equatable {}

/// Newest-first keyset pagination over `(time column, id)` with an optional status filter: the
/// listing of stored Stripe events and of outbox mail.
struct NewestFirstListing {
    /// The table, its selected columns and the time column ordered by (constants, never input).
    let table: String
    let columns: String
    let timeColumn: String

    /// `page.limit + 1` rows after `anchor` (the previous page's last row's time and id), so the
    /// caller can tell whether more follow.
    func rows(status: String?, after anchor: (time: Date, id: String)?, page: PageRequest, on connection: any SQLConnection) throws -> [Row] {
        if let anchor {
            return try connection.query("""
                SELECT \(raw: columns) FROM \(raw: table)
                WHERE (CAST(\(status) AS TEXT) IS NULL OR status = \(status))
                    AND (\(raw: timeColumn) < \(anchor.time) OR (\(raw: timeColumn) = \(anchor.time) AND id < \(anchor.id)))
                ORDER BY \(raw: timeColumn) DESC, id DESC LIMIT \(page.limit + 1)
                """)
        }
        return try connection.query("""
            SELECT \(raw: columns) FROM \(raw: table)
            WHERE CAST(\(status) AS TEXT) IS NULL OR status = \(status)
            ORDER BY \(raw: timeColumn) DESC, id DESC LIMIT \(page.limit + 1)
            """)
    }
}
