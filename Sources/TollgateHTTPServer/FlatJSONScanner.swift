package import TollgateBase

/// Reads the hot endpoints' common bodies without Foundation: one object whose values are strings
/// without escapes and whole numbers (`{"customer":"org_42","feature":"api.calls","quantity":1}`),
/// or one object holding one array of such objects (the usage batch). Foundation's
/// `JSONSerialization` and the conversion of its `Any` tree were 7 % of the server's CPU per usage
/// event.
///
/// It reads a subset of JSON and declines (nil) everything outside it — an escape, a control
/// character, invalid UTF-8, a fraction or exponent, `-0`, a number beyond `Int`, a repeated key,
/// `true`/`false`/`null`, deeper nesting, anything after the value — so those bodies take the
/// Foundation path as before: what it reads, it reads as that path does (`FlatJSONScannerTests`
/// compares the two over random bodies).
package struct FlatJSONScanner {
    private let bytes: [UInt8]
    private var index = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The members of `bytes` when it is one flat object of the subset.
    package static func object(_ bytes: [UInt8]) -> [String: JSONValue]? {
        var scanner = FlatJSONScanner(bytes)
        guard let members = scanner.flatObject(), scanner.atEnd() else { return nil }
        return members
    }

    /// `(key, objects)` when `bytes` is one object with one member whose value is an array of flat
    /// objects of the subset (`{"events":[{…},{…}]}`).
    package static func arrayOfObjects(_ bytes: [UInt8]) -> (key: String, objects: [[String: JSONValue]])? {
        var scanner = FlatJSONScanner(bytes)
        guard scanner.take(UInt8(ascii: "{")), let key = scanner.string(), scanner.take(UInt8(ascii: ":")),
              scanner.take(UInt8(ascii: "["))
        else { return nil }
        var objects: [[String: JSONValue]] = []
        if !scanner.take(UInt8(ascii: "]")) {
            repeat {
                guard let object = scanner.flatObject() else { return nil }
                objects.append(object)
            } while scanner.take(UInt8(ascii: ","))
            guard scanner.take(UInt8(ascii: "]")) else { return nil }
        }
        guard scanner.take(UInt8(ascii: "}")), scanner.atEnd() else { return nil }
        return (key, objects)
    }

    private mutating func flatObject() -> [String: JSONValue]? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var members: [String: JSONValue] = [:]
        if take(UInt8(ascii: "}")) { return members }
        repeat {
            guard let key = string(), take(UInt8(ascii: ":")), let value = value(), members.updateValue(value, forKey: key) == nil else { return nil }
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "}")) ? members : nil
    }

    private mutating func value() -> JSONValue? {
        skipWhitespace()
        guard index < bytes.count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") { return string().map(JSONValue.string) }
        return integer().map(JSONValue.integer)
    }

    /// A string without escapes or control characters, valid UTF-8.
    private mutating func string() -> String? {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
        let start = index + 1
        var end = start
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") { break }
            if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
            end += 1
        }
        guard end < bytes.count else { return nil }
        index = end + 1
        return bytes.withUnsafeBufferPointer { String(validating: UnsafeBufferPointer(rebasing: $0[start..<end]), as: UTF8.self) }
    }

    /// `-?(0|[1-9][0-9]*)` within `Int`, not `-0`, not followed by a fraction or an exponent.
    private mutating func integer() -> Int? {
        var position = index
        let negative = position < bytes.count && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let digitsStart = position
        var magnitude: UInt64 = 0
        while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
            let (times, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(bytes[position] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { return nil }
            magnitude = sum
            position += 1
        }
        let digits = position - digitsStart
        guard digits > 0, digits == 1 || bytes[digitsStart] != UInt8(ascii: "0"), !(negative && magnitude == 0) else { return nil }
        if position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"): return nil
            default: break
            }
        }
        guard let value = negative ? (magnitude <= UInt64(Int.max) + 1 ? Int(truncatingIfNeeded: 0 &- magnitude) : nil) : Int(exactly: magnitude) else { return nil }
        index = position
        return value
    }

    private mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    private mutating func atEnd() -> Bool {
        skipWhitespace()
        return index == bytes.count
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }
}
