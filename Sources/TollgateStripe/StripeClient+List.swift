import TollgateBase
extension StripeClient {
    /// One page of a list: its objects and whether more follow.
    package struct ListPage: Sendable {
        package var data: [StripeObject]
        package var hasMore: Bool
    }

    /// Every object of a list endpoint (`/v1/customers`, `/v1/subscriptions`, …), following
    /// `has_more` with `starting_after` = the last object's id
    /// (<https://docs.stripe.com/api/pagination>).
    ///
    /// Pages hold ``StripeConfiguration/listPageSize`` objects unless `parameters` set `limit`.
    /// A list that needs more than ``StripeConfiguration/maxListPages`` pages, serves an object
    /// twice (a peer that restarts at page 1 on a cursor it does not know) or says `has_more`
    /// with an empty page fails with ``StripeError/Kind/pagination`` rather than loop.
    package func list(_ path: String, _ parameters: StripeForm = [:]) throws(StripeError) -> [StripeObject] {
        var all: [StripeObject] = []
        var cursor = ListCursor(path: path, parameters: parameters, configuration: configuration)
        while let page = try cursor.next(using: self) { all += page.data }
        return all
    }

    /// Calls `body` with each page of a list in turn (see ``list(_:_:)``), so a long list is never
    /// held whole. Errors from `body` stop the paging and are rethrown.
    package func forEachPage(_ path: String, _ parameters: StripeForm = [:], _ body: ([StripeObject]) throws -> Void) throws {
        var cursor = ListCursor(path: path, parameters: parameters, configuration: configuration)
        while let page = try cursor.next(using: self) { try body(page.data) }
    }

    /// One `GET` of a list endpoint, parsed.
    package func listPage(_ path: String, _ parameters: StripeForm) throws(StripeError) -> ListPage {
        let object = try get(path, parameters)
        guard let data = object["data"]?.array, let hasMore = object["has_more"]?.bool else {
            throw StripeError(kind: .invalidResponse, message: "the answer to GET \(path) is not a list object (data, has_more)")
        }
        return ListPage(data: data, hasMore: hasMore)
    }
}

/// The paging state of one ``StripeClient/list(_:_:)``.
private struct ListCursor {
    let path: String
    var parameters: StripeForm
    let maxPages: Int
    var pages = 0
    var finished = false
    var seen: Set<String> = []

    init(path: String, parameters: StripeForm, configuration: StripeConfiguration) {
        self.path = path
        self.parameters = parameters
        if self.parameters["limit"] == nil { self.parameters["limit"] = .integer(configuration.listPageSize) }
        self.maxPages = configuration.maxListPages
    }

    mutating func next(using client: StripeClient) throws(StripeError) -> StripeClient.ListPage? {
        guard !finished else { return nil }
        guard pages < maxPages else {
            throw StripeError(kind: .pagination, message: "GET \(path) has more than \(maxPages) pages; stopped")
        }
        let page = try client.listPage(path, parameters)
        pages += 1
        for object in page.data {
            guard let id = object.id else {
                throw StripeError(kind: .invalidResponse, message: "GET \(path) listed an object without an id")
            }
            guard seen.insert(id).inserted else {
                throw StripeError(kind: .pagination, message: "GET \(path) listed \(id) twice; stopped")
            }
        }
        if page.hasMore {
            guard let last = page.data.last?.id else {
                throw StripeError(kind: .pagination, message: "GET \(path) said has_more with an empty page")
            }
            parameters["starting_after"] = .string(last)
        } else {
            finished = true
        }
        return page
    }
}
