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
