import Testing
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
