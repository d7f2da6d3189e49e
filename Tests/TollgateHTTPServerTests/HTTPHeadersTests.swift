import Foundation
import Testing
import TollgateTestSupport
@testable import TollgateHTTPServer

/// Header names are looked up case-insensitively, byte by byte: held to the plain reading (ASCII
/// letters fold, nothing else does) over random names, small and large strings, and non-ASCII.
@Suite struct HTTPHeadersTests {
    static func reference(_ a: String, _ b: String) -> Bool {
        let fold = { (byte: UInt8) in (65...90).contains(byte) ? byte + 32 : byte }
        return a.utf8.map(fold) == b.utf8.map(fold)
    }

    @Test func caseInsensitiveEqualityAgreesWithASCIIFolding() {
        var generator = SeededGenerator(seed: 29)
        // Letters in both cases, the bytes that differ from a letter by 0x20 without being one
        // (`@` and `` ` ``, `[` and `{`), digits, `-`, and non-ASCII.
        let alphabet = Array("aAzZ@`[{-0éÉ".unicodeScalars)
        var equal = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 0..<(Bool.random(using: &generator) ? 4 : 24), using: &generator)
            let a = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            // b: a with each letter's case flipped at random, sometimes one scalar changed.
            var b = a.map { scalar -> Unicode.Scalar in
                guard scalar.isASCII, Bool.random(using: &generator) else { return scalar }
                let text = String(scalar)
                return (text == text.lowercased() ? text.uppercased() : text.lowercased()).unicodeScalars.first!
            }
            if !b.isEmpty, Int.random(in: 0..<3, using: &generator) == 0 {
                b[Int.random(in: 0..<b.count, using: &generator)] = alphabet.randomElement(using: &generator)!
            }
            let first = String(String.UnicodeScalarView(a)), second = String(String.UnicodeScalarView(b))
            let result = first.caseInsensitiveEquals(second)
            #expect(result == Self.reference(first, second), "\(first) / \(second)")
            #expect(result == second.caseInsensitiveEquals(first))
            if result { equal += 1 }
        }
        #expect(equal >= 5_000)
    }

    @Test func lookUpSetAndRemoveIgnoreCase() {
        var headers: HTTPHeaders = ["Content-Type": "text/plain", "X-Many": "1"]
        headers.add("x-many", "2")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers.values("X-MANY") == ["1", "2"])
        headers.set("X-many", "3")
        #expect(headers.values("x-many") == ["3"])
        headers.remove("CONTENT-TYPE")
        #expect(headers["Content-Type"] == nil)
    }
}
