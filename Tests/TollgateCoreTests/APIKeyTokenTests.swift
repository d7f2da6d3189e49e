import Testing
import TollgateEntitlements
import TollgateTestSupport

/// Every authenticated request parses its key, so the parser reads bytes; this holds it to the
/// plain reading of the format (`tg_`, 12 alphanumerics, `_`, 40 alphanumerics) over random
/// near-misses: keys with a byte changed, inserted or dropped, and arbitrary text.
@Suite struct APIKeyTokenTests {
    static func reference(_ value: String) -> String? {
        guard value.hasPrefix("tg_") else { return nil }
        let parts = value.dropFirst(3).split(separator: "_", maxSplits: 1, omittingEmptySubsequences: false)
        let alphanumeric = { (byte: UInt8) in (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) }
        guard parts.count == 2, parts[0].utf8.count == 12, parts[1].utf8.count == 40,
              parts[0].utf8.allSatisfy(alphanumeric), parts[1].utf8.allSatisfy(alphanumeric) else { return nil }
        return String(parts[0])
    }

    @Test func parserAgreesWithTheFormatOverRandomNearMisses() {
        var generator = SeededGenerator(seed: 56)
        let alphabet = Array("abcXYZ019_-tg é😀\u{0}".unicodeScalars)
        let valid = "tg_" + String(repeating: "a1B", count: 4) + "_" + String(repeating: "Zz09", count: 10)
        var accepted = 0
        for round in 0..<5_000 {
            var scalars = Array(valid.unicodeScalars)
            switch round % 4 {
            case 0: break
            case 1: scalars[Int.random(in: 0..<scalars.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            case 2: scalars.insert(alphabet.randomElement(using: &generator)!, at: Int.random(in: 0...scalars.count, using: &generator))
            default:
                if Bool.random(using: &generator) {
                    scalars.remove(at: Int.random(in: 0..<scalars.count, using: &generator))
                } else {
                    scalars = (0..<Int.random(in: 0..<60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
                }
            }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: scalars)
            let value = String(text)
            let parsed = APIKeyToken(parsing: value)
            #expect(parsed?.id == Self.reference(value), "\(value)")
            #expect(parsed.map(\.value) == (Self.reference(value) == nil ? nil : value))
            if parsed != nil { accepted += 1 }
        }
        #expect(accepted >= 1_250)  // every unchanged key, at least
    }
}
