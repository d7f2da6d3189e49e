import Foundation
import TollgateCrypto

/// One migration file, `<root>/<dialect>/NNNN_name.sql`.
package struct Migration: Sendable, Equatable {
    /// The number in the file name (`0003_usage.sql` → 3); migrations apply in this order.
    package let version: Int
    /// The part after the number (`usage`).
    package let name: String
    /// The file name (`0003_usage.sql`).
    package let fileName: String
    /// SHA-256 of the file's bytes, in hex: an applied migration whose file changed is an error.
    package let checksum: String
    /// The SQL script (one or more statements, run in one transaction).
    package let script: String

    package init(version: Int, name: String, fileName: String, checksum: String, script: String) {
        self.version = version
        self.name = name
        self.fileName = fileName
        self.checksum = checksum
        self.script = script
    }

    /// Reads every migration in `directory`, in version order.
    ///
    /// Every file not starting with `.` must be named `NNNN_name.sql` (at least four digits; the
    /// name of letters, digits, `_` and `-`) and versions must be unique; otherwise this throws
    /// ``StoreError/Code/migration`` naming the file.
    package static func load(directory: String) throws(StoreError) -> [Migration] {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw StoreError(.migration, "no migrations directory at \(directory)")
        }
        let names: [String]
        do {
            names = try files.contentsOfDirectory(atPath: directory)
        } catch {
            throw StoreError(.migration, "cannot list migrations directory \(directory)")
        }
        var migrations: [Int: Migration] = [:]
        for fileName in names.sorted() where !fileName.hasPrefix(".") {
            guard let (version, name) = parse(fileName: fileName) else {
                throw StoreError(.migration, "bad migration file name \(fileName): expected NNNN_name.sql")
            }
            let path = directory + "/" + fileName
            guard let data = files.contents(atPath: path) else {
                throw StoreError(.migration, "cannot read migration \(fileName)")
            }
            let bytes = [UInt8](data)
            guard let script = String(bytes: bytes, encoding: .utf8) else {
                throw StoreError(.migration, "migration \(fileName) is not UTF-8 text")
            }
            if let other = migrations[version] {
                throw StoreError(.migration, "migrations \(other.fileName) and \(fileName) share version \(version)")
            }
            migrations[version] = Migration(
                version: version, name: name, fileName: fileName, checksum: SHA256.hex(bytes), script: script)
        }
        return migrations.values.sorted { $0.version < $1.version }
    }

    /// `0003_usage.sql` → (3, "usage"); nil for any other shape.
    static func parse(fileName: String) -> (version: Int, name: String)? {
        guard fileName.hasSuffix(".sql") else { return nil }
        let stem = fileName.dropLast(".sql".count)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let digits = stem[..<underscore]
        let name = stem[stem.index(after: underscore)...]
        guard digits.count >= 4, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int(digits) else {
            return nil
        }
        let allowed = { (character: Character) in
            character.isASCII && (character.isLetter || character.isNumber || character == "_" || character == "-")
        }
        guard !name.isEmpty, name.allSatisfy(allowed) else { return nil }
        return (version, String(name))
    }
}
