import CSQLite
import CSQLiteShims

/// One prepared statement (`sqlite3_stmt *`), finalized in `deinit`.
///
/// Parameters are SQLite named parameters `$1…$n`; each distinct name is bound once, so a
/// `$1` used twice takes one value. Used only by its ``SQLiteConnection``'s thread.
final class SQLiteStatement {
    let handle: OpaquePointer
    /// For each SQLite parameter index (1-based; slot 0 unused), the `n` of the `$n` it names.
    private let parameterNumbers: [Int]
    /// The highest `$n` in the text: the number of values a caller must bind.
    let parameterCount: Int

    /// Takes ownership of `handle`; throws (finalizing it) when a parameter is not `$n`.
    init(handle: OpaquePointer) throws(StoreError) {
        self.handle = handle
        var numbers = [0]
        let count = sqlite3_bind_parameter_count(handle)
        var highest = 0
        var invalidName: String?
        if count > 0 {
            for index in 1...count {
                let name = sqlite3_bind_parameter_name(handle, index).map { String(cString: $0) } ?? "?"
                guard name.first == "$", let number = Int(name.dropFirst()), number >= 1 else {
                    invalidName = name
                    break
                }
                numbers.append(number)
                highest = max(highest, number)
            }
        }
        parameterNumbers = numbers
        parameterCount = highest
        if let invalidName {
            throw StoreError(.other, "unsupported SQL parameter \(invalidName): write $1…$n")
        }
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds `values[n - 1]` to each `$n`.
    func bind(_ values: [SQLValue]) throws(StoreError) {
        guard values.count == parameterCount else {
            throw StoreError(.other, "the statement uses $1…$\(parameterCount) but \(values.count) values were bound")
        }
        for index in parameterNumbers.indices.dropFirst() {
            let code = bind(values[parameterNumbers[index] - 1], at: Int32(index))
            guard code == SQLITE_OK else {
                guard let database = sqlite3_db_handle(handle) else {
                    throw SQLiteResultCode.storeError(extendedCode: code, message: "binding a parameter failed")
                }
                throw SQLiteResultCode.lastError(on: database)
            }
        }
    }

    private func bind(_ value: SQLValue, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(handle, index)
        case .integer(let number):
            return sqlite3_bind_int64(handle, index, number)
        case .real(let number):
            return sqlite3_bind_double(handle, index, number)
        case .bool(let flag):
            return sqlite3_bind_int64(handle, index, flag ? 1 : 0)
        case .text(let text):
            return bindText(text, at: index)
        case .timestamp(let date):
            return bindText(SQLTimestamp.format(date), at: index)
        case .blob(let bytes):
            // A zero-length blob has no base address, and a NULL pointer would bind SQL NULL.
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(handle, index, 0) }
            return bytes.withUnsafeBytes { buffer in
                sqlite3_bind_blob64(handle, index, buffer.baseAddress, sqlite3_uint64(buffer.count), tg_sqlite3_transient())
            }
        }
    }

    private func bindText(_ text: String, at index: Int32) -> Int32 {
        var text = text
        return text.withUTF8 { utf8 in
            // Explicit length keeps embedded NULs; SQLITE_TRANSIENT makes SQLite copy the bytes.
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                return sqlite3_bind_text64(handle, index, "", 0, tg_sqlite3_transient(), UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { characters in
                sqlite3_bind_text64(
                    handle, index, characters, sqlite3_uint64(utf8.count), tg_sqlite3_transient(), UInt8(SQLITE_UTF8))
            }
        }
    }

    /// The value of column `index` in the current row, typed as SQLite stored it.
    func value(at index: Int32) -> SQLValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(handle, index))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(handle, index))
        case SQLITE_TEXT:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let bytes = sqlite3_column_text(handle, index) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(handle, index))
            guard let bytes = sqlite3_column_blob(handle, index), count > 0 else { return .blob([]) }
            return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .null
        }
    }

    /// The result's column names.
    func columnNames() -> [String] {
        (0..<sqlite3_column_count(handle)).map { index in
            sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "column\(index)"
        }
    }

    /// Leaves the statement ready for its next use (no read transaction held, no values kept).
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}

@available(*, unavailable)
extension SQLiteStatement: Sendable {}
