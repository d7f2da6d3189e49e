package import Foundation

/// One result row: column names and values, decoded by name into Swift types.
package struct Row: Sendable {
    package let columns: [String]
    package let values: [SQLValue]

    package init(columns: [String], values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of `column`.
    package func value(_ column: String) throws(StoreError) -> SQLValue {
        guard let index = columns.firstIndex(of: column) else {
            throw StoreError(.decoding, "no column named \(column)")
        }
        return values[index]
    }

    /// The value of `column` decoded as `T` (use an Optional type for nullable columns).
    package func get<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws(StoreError) -> T {
        let raw = try value(column)
        do {
            return try T(sqlValue: raw)
        } catch {
            throw StoreError(.decoding, "column \(column): \(error.message)")
        }
    }
}

/// A Swift type that can be read from a column. PostgreSQL returns text, SQLite typed values;
/// each conformance accepts both.
package protocol SQLDecodable {
    init(sqlValue: SQLValue) throws(StoreError)
}

extension Int64: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) {
        switch sqlValue {
        case .integer(let value): self = value
        case .bool(let value): self = value ? 1 : 0
        case .text(let text):
            guard let value = Int64(text) else { throw StoreError(.decoding, "not an integer") }
            self = value
        case .real(let value) where value.rounded() == value && abs(value) < 9e18: self = Int64(value)
        default: throw StoreError(.decoding, "not an integer")
        }
    }
}

extension Int: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) { self = Int(try Int64(sqlValue: sqlValue)) }
}

extension Double: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) {
        switch sqlValue {
        case .real(let value): self = value
        case .integer(let value): self = Double(value)
        case .text(let text):
            guard let value = Double(text) else { throw StoreError(.decoding, "not a number") }
            self = value
        default: throw StoreError(.decoding, "not a number")
        }
    }
}

extension String: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) {
        switch sqlValue {
        case .text(let text): self = text
        case .integer(let value): self = String(value)
        case .real(let value): self = String(value)
        default: throw StoreError(.decoding, "not text")
        }
    }
}

extension Bool: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) {
        switch sqlValue {
        case .bool(let value): self = value
        case .integer(let value): self = value != 0
        case .text("t"), .text("true"), .text("1"): self = true
        case .text("f"), .text("false"), .text("0"): self = false
        default: throw StoreError(.decoding, "not a boolean")
        }
    }
}

extension Date: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) {
        switch sqlValue {
        case .timestamp(let date): self = date
        case .text(let text):
            guard let date = SQLTimestamp.parse(text) else { throw StoreError(.decoding, "not a timestamp") }
            self = date
        default: throw StoreError(.decoding, "not a timestamp")
        }
    }
}

extension Array: SQLDecodable where Element == UInt8 {
    package init(sqlValue: SQLValue) throws(StoreError) {
        switch sqlValue {
        case .blob(let bytes): self = bytes
        case .text(let text):
            // PostgreSQL's bytea text output: \x followed by hex digits.
            guard let bytes = SQLTimestamp.decodeByteaHex(text) else { throw StoreError(.decoding, "not bytes") }
            self = bytes
        default: throw StoreError(.decoding, "not bytes")
        }
    }
}

extension Optional: SQLDecodable where Wrapped: SQLDecodable {
    package init(sqlValue: SQLValue) throws(StoreError) {
        if case .null = sqlValue { self = .none } else { self = .some(try Wrapped(sqlValue: sqlValue)) }
    }
}
