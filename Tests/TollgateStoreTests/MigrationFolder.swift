import Foundation
import TollgateStore

/// A temporary migrations root with `sqlite/` and `postgres/` folders, removed on release.
final class MigrationFolder {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("tollgate-migrations-\(UInt64.random(in: 0...UInt64.max))").path
        for dialect in SQLDialect.allCases {
            try FileManager.default.createDirectory(atPath: root + "/" + dialect.rawValue, withIntermediateDirectories: true)
        }
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// Writes `sql` as `fileName` for every dialect.
    func write(_ fileName: String, _ sql: String) throws {
        for dialect in SQLDialect.allCases {
            try Data(sql.utf8).write(to: URL(fileURLWithPath: root + "/" + dialect.rawValue + "/" + fileName))
        }
    }
}
