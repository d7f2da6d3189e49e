import CSQLite
import CSQLiteShims

/// SQLite's extended result codes that the store maps to ``StoreError`` codes.
///
/// The `SQLITE_CONSTRAINT_UNIQUE`-style macros are built with shifts and do not import into
/// Swift, so their values (<https://www.sqlite.org/rescode.html>) are spelled out here.
enum SQLiteResultCode {
    static let busy: Int32 = 5
    static let locked: Int32 = 6
    static let readOnly: Int32 = 8
    static let cantOpen: Int32 = 14
    static let constraint: Int32 = 19
    static let busySnapshot: Int32 = 517  // SQLITE_BUSY | (2 << 8)
    static let constraintForeignKey: Int32 = 787  // SQLITE_CONSTRAINT | (3 << 8)
    static let constraintPrimaryKey: Int32 = 1555  // SQLITE_CONSTRAINT | (6 << 8)
    static let constraintUnique: Int32 = 2067  // SQLITE_CONSTRAINT | (8 << 8)

    /// The store error for an extended result code and the connection's `sqlite3_errmsg`
    /// (which names tables and columns, never bound values).
    static func storeError(extendedCode: Int32, message: String) -> StoreError {
        let code: StoreError.Code
        switch extendedCode {
        case constraintUnique, constraintPrimaryKey: code = .uniqueViolation
        case constraintForeignKey: code = .foreignKeyViolation
        case busySnapshot: code = .serializationFailure
        default:
            switch extendedCode & 0xFF {
            case constraint: code = .constraintViolation
            case busy, locked: code = .busy
            case readOnly: code = .readOnly
            case cantOpen: code = .connectionFailed
            default: code = .other
            }
        }
        return StoreError(code, message, driverCode: String(extendedCode))
    }

    /// The last error on `handle` as a store error.
    static func lastError(on handle: OpaquePointer) -> StoreError {
        storeError(extendedCode: sqlite3_extended_errcode(handle), message: String(cString: sqlite3_errmsg(handle)))
    }
}
