package import Foundation

/// A value bound to a statement parameter or read from a result column.
///
/// Drivers map each case to the backend's own representation in one place:
/// `bool` is an INTEGER 0/1 on SQLite and a `boolean` on PostgreSQL; `timestamp` is ISO-8601
/// text in UTC with millisecond precision on SQLite and a `timestamptz` on PostgreSQL.
package enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
    case timestamp(Date)
}

/// A Swift value that can be bound as a statement parameter.
package protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLBindable { package var sqlValue: SQLValue { self } }
extension Int: SQLBindable { package var sqlValue: SQLValue { .integer(Int64(self)) } }
extension Int64: SQLBindable { package var sqlValue: SQLValue { .integer(self) } }
extension Double: SQLBindable { package var sqlValue: SQLValue { .real(self) } }
extension String: SQLBindable { package var sqlValue: SQLValue { .text(self) } }
extension Substring: SQLBindable { package var sqlValue: SQLValue { .text(String(self)) } }
extension Bool: SQLBindable { package var sqlValue: SQLValue { .bool(self) } }
extension Date: SQLBindable { package var sqlValue: SQLValue { .timestamp(self) } }
extension Array: SQLBindable where Element == UInt8 { package var sqlValue: SQLValue { .blob(self) } }
extension Optional: SQLBindable where Wrapped: SQLBindable {
    package var sqlValue: SQLValue { self?.sqlValue ?? .null }
}
