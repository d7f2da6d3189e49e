/// A statement written once with `$1…$n` placeholders and the values bound to them.
///
/// Values are never spliced into the text. String interpolation binds:
/// `"SELECT * FROM api_keys WHERE id = \(id)"` becomes `… WHERE id = $1` with `id` bound.
/// `\(raw: "name")` splices trusted text (an identifier the code chose), never input.
package struct SQL: Sendable, Hashable, CustomStringConvertible {
    package var text: String
    package var bindings: [SQLValue]

    package init(_ text: String, _ bindings: [SQLValue] = []) {
        self.text = text
        self.bindings = bindings
    }

    /// The text only: parameters are never part of a description, so it is safe to log.
    package var description: String { text }
}

extension SQL: ExpressibleByStringInterpolation {
    package init(stringLiteral value: String) { self.init(value) }

    package init(stringInterpolation: Interpolation) {
        self.init(stringInterpolation.text, stringInterpolation.bindings)
    }

    package struct Interpolation: StringInterpolationProtocol {
        var text = ""
        var bindings: [SQLValue] = []

        package init(literalCapacity: Int, interpolationCount: Int) {
            text.reserveCapacity(literalCapacity + interpolationCount * 3)
        }

        package mutating func appendLiteral(_ literal: String) { text += literal }

        package mutating func appendInterpolation(_ value: some SQLBindable) {
            bindings.append(value.sqlValue)
            text += "$\(bindings.count)"
        }

        /// Binds an optional value (NULL when nil).
        package mutating func appendInterpolation<Value: SQLBindable>(_ value: Value?) {
            bindings.append(value?.sqlValue ?? .null)
            text += "$\(bindings.count)"
        }

        /// Splices trusted SQL text (an identifier or keyword chosen by code, never input).
        package mutating func appendInterpolation(raw: String) { text += raw }
    }
}

extension SQLDialect {
    /// How many rows each statement of a multi-row write takes, for `count` rows: powers of two, so
    /// a few statement texts serve every batch size — both stores prepare a statement once per
    /// connection and cache it by text (PostgreSQL keeps 512 per session, and a text per row count
    /// would churn them). Up to 512 rows per statement on PostgreSQL (a round trip each); up to 128
    /// on SQLite, where preparing a statement costs the square of its parameters.
    package func rowChunks(_ count: Int) -> [Range<Int>] {
        let largest = self == .postgres ? 512 : 128
        var result: [Range<Int>] = []
        var start = 0
        while start < count {
            let left = count - start
            let size = left >= largest ? largest : 1 << (Int.bitWidth - 1 - left.leadingZeroBitCount)
            result.append(start..<start + size)
            start += size
        }
        return result
    }
}
