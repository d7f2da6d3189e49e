import Synchronization
package import TollgateStore

/// The catalog kept in memory and reloaded when its revision in the store moves (an apply from
/// any process bumps it), so evaluations read one small row instead of the whole catalog.
package final class CatalogCache: Sendable {
    private struct Entry {
        var revision: Int64
        var catalog: Catalog
    }

    private let entry = Mutex<Entry?>(nil)

    package init() {}

    /// The current catalog, read through `connection`.
    package func catalog(on connection: any SQLConnection) throws -> Catalog {
        try revisioned(on: connection).catalog
    }

    /// The current catalog and its revision (what a cache of anything derived from it compares).
    package func revisioned(on connection: any SQLConnection) throws -> (revision: Int64, catalog: Catalog) {
        let revision = try CatalogRepository.revision(on: connection)
        if let cached = entry.withLock({ $0 }), cached.revision == revision { return (revision, cached.catalog) }
        let catalog = try CatalogRepository.load(on: connection)
        entry.withLock { $0 = Entry(revision: revision, catalog: catalog) }
        return (revision, catalog)
    }
}
