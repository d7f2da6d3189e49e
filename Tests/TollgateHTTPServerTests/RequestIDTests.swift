import Testing
import TollgateBase
@testable import TollgateHTTPServer

@Suite struct RequestIDTests {
    @Test(arguments: ["a", "req-123", "A.b_c:d-e", "01HZX3K9Q2", String(repeating: "x", count: 128)])
    func wellFormedIDsAreEchoed(_ id: String) {
        #expect(RequestID.isValid(id))
        #expect(RequestID.resolve(id) == id)
    }

    @Test(arguments: ["", "has space", "semi;colon", "new\nline", "é", "slash/", String(repeating: "x", count: 129)])
    func malformedIDsAreReplaced(_ id: String) {
        #expect(!RequestID.isValid(id))
        let resolved = RequestID.resolve(id)
        #expect(resolved != id)
        #expect(RequestID.isValid(resolved))
    }

    @Test func generatedIDsAre32HexDigitsAndDiffer() {
        let ids = (0..<100).map { _ in RequestID.generate() }
        #expect(Set(ids).count == 100)
        for id in ids {
            #expect(id.utf8.count == 32)
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        }
        #expect(RequestID.resolve(nil).utf8.count == 32)
    }
}

@Suite struct RequestIDGeneratorTests {
    @Test func generatedIDsAreDistinctWellFormedHex() {
        let generator = RequestIDGenerator()
        let ids = (0..<10_000).map { _ in generator.next() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(100) {
            #expect(id.utf8.count == 32)
            #expect(id.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            #expect(RequestID.isValid(id))
        }
    }

    @Test func twoGeneratorsDoNotShareIDs() {
        let a = RequestIDGenerator(), b = RequestIDGenerator()
        #expect(Set((0..<100).map { _ in a.next() }).isDisjoint(with: (0..<100).map { _ in b.next() }))
    }

    @Test func clientIDsAreKeptOnlyWhenValid() {
        let generator = RequestIDGenerator()
        #expect(generator.resolve("abc-1") == "abc-1")
        #expect(generator.resolve("a b") != "a b")
        #expect(generator.resolve(nil).utf8.count == 32)
    }

    @Test func hexIsBigEndianLowercase() {
        #expect(Hex.words(0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210) == "0123456789abcdeffedcba9876543210")
    }
}
