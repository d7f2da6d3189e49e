import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

/// A non-store error, to prove transactions roll back whatever is thrown.
struct Boom: Error, Equatable {}

extension Backend {
    /// Picks the DDL spelling for this backend.
    func ddl(sqlite: String, postgres: String) -> String {
        switch self {
        case .sqlite: sqlite
        case .postgres: postgres
        }
    }
}

/// Runs `body` and returns the ``StoreError`` it threw, recording an issue when it threw none or another kind.
func storeError(
    _ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) -> StoreError? {
    do {
        try body()
        Issue.record("expected a StoreError, nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as StoreError {
        return error
    } catch {
        Issue.record("expected a StoreError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// `SELECT count(*)` of a table, as an Int.
func count(_ table: String, in database: any Database) throws -> Int {
    try database.withConnection { connection throws in
        try connection.queryFirst("SELECT count(*) AS n FROM \(raw: table)")?.get("n") ?? -1
    }
}
