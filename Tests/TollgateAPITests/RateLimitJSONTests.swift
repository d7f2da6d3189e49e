import Foundation
import Testing
import TollgateTestSupport
import TollgateWire
@testable import TollgateAPI

/// The rate-limit decision's body is written by hand (it is answered from memory, and
/// `JSONEncoder` was a fifth of its CPU); these hold it to what the encoder writes, byte for byte.
@Suite struct RateLimitJSONTests {
    /// Strings with what JSON escapes: quotes, backslashes, slashes, every control character,
    /// non-ASCII and astral scalars.
    static func randomText(_ generator: inout SeededGenerator) -> String {
        let pool: [Unicode.Scalar] = ["a", "Z", "0", "_", "-", ".", "/", "\"", "\\", " ", "é", "ß", "€", "😀", "\u{7F}", "\u{2028}"]
            + (0..<0x20).compactMap(Unicode.Scalar.init)
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0..<12, using: &generator) { text.append(pool.randomElement(using: &generator)!) }
        return String(text)
    }

    @Test func directWriterMatchesTheEncoderOverRandomDecisions() throws {
        var generator = SeededGenerator(seed: 20261207)
        for _ in 0..<500 {
            let policies = (0..<Int.random(in: 0...3, using: &generator)).map { _ in
                RateLimitRoutes.ConsumeResponse.Policy(
                    name: Self.randomText(&generator), allowed: Bool.random(using: &generator), limit: Int.random(in: 1...1_000_000, using: &generator),
                    windowSeconds: Int.random(in: 1...86_400, using: &generator), burst: Int.random(in: 1...1_000_000, using: &generator),
                    remaining: Int.random(in: 0...1_000_000, using: &generator), resetSeconds: Int.random(in: 0...86_400, using: &generator),
                    retryAfterSeconds: Bool.random(using: &generator) ? Int.random(in: 0...86_400, using: &generator) : nil)
            }
            let response = RateLimitRoutes.ConsumeResponse(
                allowed: Bool.random(using: &generator), customer: Self.randomText(&generator), cost: Int.random(in: 1...1_000_000, using: &generator),
                policies: policies)
            let expected = String(decoding: try WireJSON.encoder().encode(response), as: UTF8.self)
            let written = String(decoding: response.json, as: UTF8.self)
            #expect(written == expected)
            if written != expected { return }
        }
    }
}
