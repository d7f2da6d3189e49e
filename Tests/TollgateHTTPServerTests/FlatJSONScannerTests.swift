import Testing
import TollgateBase
import TollgateHTTPServer
import TollgateTestSupport

/// `FlatJSONScanner` reads a subset of JSON for the hot endpoints and declines the rest. Over random
/// bodies — escapes, control characters, invalid UTF-8, every kind of number (`-0`, leading zeros,
/// fractions, exponents, both ends of `Int` and beyond), `true`/`false`/`null`, nesting, repeated
/// keys, whitespace, trailing bytes, the batch's `{"events": [...]}` — whatever it reads equals
/// what Foundation's path (`HTTPRequest.plainJSON`) reads from the same bytes.
@Suite struct FlatJSONScannerTests {
    static let values: [[UInt8]] = [
        "\"bench-customer\"", "\"api.requests\"", "\"\"", "\"é😀\"", "\"a\\\"b\"", "\"\\u00e9\"", "\"tab\\t\"", "\"e\u{301}\"",
        "0", "1", "-1", "42", "-0", "01", "1.0", "1.5", "1e2", "1E2", "-", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "18446744073709551616", "true", "false", "null", "[]", "{}",
        "{\"x\":1}", "[1,2]", "\"unterminated",
    ].map { Array($0.utf8) } + [
        [0x22, 0x61, 0x00, 0x62, 0x22], [0x22, 0x0A, 0x22], [0x22, 0xFF, 0xFE, 0x22], [0x22, 0xC3, 0x22], [0x22, 0x7F, 0x22],
    ]
    static let keys = ["customer", "feature", "quantity", "idempotency_key", "customer", "é", "e\u{301}", "\u{e9}"]
    static let spaces: [[UInt8]] = [[], [], [0x20], [0x0A, 0x20], [0x09], [0x0D, 0x0A], [0x0C]]

    static func object(_ generator: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8] = Array("{".utf8) + spaces.randomElement(using: &generator)!
        let count = Int.random(in: 0...4, using: &generator)
        for position in 0..<count {
            if position > 0 { bytes += Array(",".utf8) + spaces.randomElement(using: &generator)! }
            bytes += Array("\"\(keys.randomElement(using: &generator)!)\"".utf8) + spaces.randomElement(using: &generator)!
            bytes += Array(":".utf8) + spaces.randomElement(using: &generator)! + values.randomElement(using: &generator)!
            bytes += spaces.randomElement(using: &generator)!
        }
        return bytes + Array("}".utf8)
    }

    static func body(_ generator: inout SeededGenerator) -> [UInt8] {
        var bytes: [UInt8]
        if Bool.random(using: &generator) {
            bytes = object(&generator)
        } else {
            let key = ["events", "events", "event", "e\u{301}vents"].randomElement(using: &generator)!
            bytes = Array("{\"\(key)\":[".utf8)
            for index in 0..<Int.random(in: 0...3, using: &generator) {
                if index > 0 { bytes += Array(",".utf8) }
                bytes += object(&generator)
            }
            bytes += Array("]}".utf8)
        }
        switch Int.random(in: 0..<20, using: &generator) {
        case 0: bytes.removeLast()
        case 1: bytes += Array(" ".utf8)
        case 2: bytes += Array("x".utf8)
        case 3: bytes = Array("[".utf8) + bytes + Array("]".utf8)
        case 4: bytes = [0xEF, 0xBB, 0xBF] + bytes
        default: break
        }
        return bytes
    }

    @Test func whatItReadsFoundationReadsAlike() {
        var generator = SeededGenerator(seed: 14)
        var objects = 0
        var batches = 0
        for _ in 0..<40_000 {
            let bytes = Self.body(&generator)
            let foundation = HTTPRequest(method: .POST, path: "/", headers: ["Content-Type": "application/json"], body: bytes).plainJSON()
            let text = String(decoding: bytes, as: UTF8.self)
            if let members = FlatJSONScanner.object(bytes) {
                objects += 1
                #expect(foundation == .object(members), "\(text)")
            }
            if let (key, found) = FlatJSONScanner.arrayOfObjects(bytes) {
                batches += 1
                #expect(foundation == .object([key: .array(found.map(JSONValue.object))]), "\(text)")
            }
        }
        // Both shapes are read often enough for the comparison to mean something.
        #expect(objects > 2_000 && batches > 2_000, "\(objects) objects, \(batches) batches read")
    }

    @Test func aBodyOutsideTheSubsetIsLeftToFoundation() {
        for text in ["{\"a\":\"x\\ny\"}", "{\"a\":1.0}", "{\"a\":-0}", "{\"a\":1,\"a\":2}", "{\"a\":true}", "{\"a\":{}}", "{\"a\":1} x", ""] {
            #expect(FlatJSONScanner.object(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(FlatJSONScanner.object(Array("{ \"a\" : \"é\" ,\"b\":-12 }".utf8)) == ["a": .string("é"), "b": .integer(-12)])
    }
}
