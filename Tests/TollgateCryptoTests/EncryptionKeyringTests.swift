import Foundation
import Testing
@testable import TollgateCrypto

/// A 32-byte key as standard base64 (for ring texts).
private func entry(_ id: String, _ byte: UInt8) -> (text: String, key: [UInt8]) {
    let key = [UInt8](repeating: byte, count: 32)
    return (id + ":" + Base64.encode(key), key)
}

private func hex(_ text: String) -> [UInt8] {
    Hex.decode(text.filter { !$0.isWhitespace }) ?? []
}

@Suite struct EncryptionKeyringTests {
    // MARK: Known answers: The Galois/Counter Mode of Operation (McGrew & Viega), AES-256 test cases,
    // also in NIST's GCM test vectors.

    /// Test Case 16: AES-256, 96-bit IV, 60-byte plaintext, 20 bytes of AAD.
    static let case16 = (
        key: hex("feffe9928665731c6d6a8f9467308308 feffe9928665731c6d6a8f9467308308"),
        nonce: hex("cafebabefacedbaddecaf888"),
        plaintext: hex("""
            d9313225f88406e5a55909c5aff5269a 86a7a9531534f7da2e4c303d8a318a72
            1c3c0c95956809532fcf0e2449a6b525 b16aedf5aa0de657ba637b39
            """),
        aad: hex("feedfacedeadbeeffeedfacedeadbeef abaddad2"),
        ciphertext: hex("""
            522dc1f099567d07f47f37a32a84427d 643a8cdcbfe5c0c97598a2bd2555d1aa
            8cb08e48590dbb3da7b08b1056828838 c5f61e6393ba7a0abcc9f662
            """),
        tag: hex("76fc6ece0f4e1768cddf8853bb2d551b"))

    @Test func encryptMatchesGCMSpecTestCase16() throws {
        let v = Self.case16
        #expect(v.key.count == 32 && v.plaintext.count == 60 && v.ciphertext.count == 60)
        let (ciphertext, tag) = try EncryptionKeyring.encrypt(v.plaintext, key: v.key, nonce: v.nonce, associatedData: v.aad)
        #expect(Hex.encode(ciphertext) == Hex.encode(v.ciphertext))
        #expect(Hex.encode(tag) == Hex.encode(v.tag))
    }

    /// The same vector through the public API: a sealed string built from its nonce, ciphertext and tag.
    @Test func openDecryptsGCMSpecTestCase16() throws {
        let v = Self.case16
        let ring = try EncryptionKeyring(keys: [(id: "nist", key: v.key)])
        let sealed = "nist:" + Base64.encodeURLSafeNoPadding(v.nonce + v.ciphertext + v.tag)
        #expect(try ring.open(sealed, associatedData: v.aad) == v.plaintext)
        #expect(throws: CryptoError.self) { try ring.open(sealed) }  // AAD missing
    }

    /// Test Cases 13 and 14: zero key and IV; empty plaintext, then one zero block.
    @Test func encryptMatchesGCMSpecTestCases13And14() throws {
        let key = [UInt8](repeating: 0, count: 32)
        let nonce = [UInt8](repeating: 0, count: 12)
        let empty = try EncryptionKeyring.encrypt([], key: key, nonce: nonce, associatedData: [])
        #expect(empty.ciphertext.isEmpty)
        #expect(Hex.encode(empty.tag) == "530f8afbc74536b9a963b4f1c4cb738b")
        let block = try EncryptionKeyring.encrypt([UInt8](repeating: 0, count: 16), key: key, nonce: nonce, associatedData: [])
        #expect(Hex.encode(block.ciphertext) == "cea7403d4d606b6e074ec5d3baf39d18")
        #expect(Hex.encode(block.tag) == "d0d1c8a799996bf0265b98b5d48ab919")
    }

    // MARK: Sealing and opening

    @Test func roundTripsBytesAndStrings() throws {
        let ring = try EncryptionKeyring(parsing: entry("k1", 7).text)
        for plaintext: [UInt8] in [[], [0], Array("gho_16C7e42F292c6912E7710c838347Ae178B4a".utf8), [UInt8](repeating: 0xAB, count: 5000)] {
            let sealed = try ring.seal(plaintext, associatedData: Array("connection:42".utf8))
            #expect(sealed.hasPrefix("k1:"))
            #expect(try ring.open(sealed, associatedData: Array("connection:42".utf8)) == plaintext)
            // Nonce, ciphertext and tag: 12 + n + 16 bytes, base64url without padding.
            let body = sealed.dropFirst(3)
            #expect(body.count == ((12 + plaintext.count + 16) * 4 + 2) / 3)
            #expect(body.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        }
        let sealed = try ring.seal("refresh-token-Ünïcødé")
        #expect(try ring.openString(sealed) == "refresh-token-Ünïcødé")
        #expect(EncryptionKeyring.keyID(of: sealed) == "k1")
    }

    @Test func twoSealsOfTheSamePlaintextDiffer() throws {
        let ring = try EncryptionKeyring(parsing: entry("k1", 7).text)
        let a = try ring.seal("same token")
        let b = try ring.seal("same token")
        #expect(a != b)
        // Different nonces (the first 12 bytes).
        let nonceA = Base64.decode(String(a.dropFirst(3)))?.prefix(12)
        let nonceB = Base64.decode(String(b.dropFirst(3)))?.prefix(12)
        #expect(nonceA != nil && nonceA != nonceB)
    }

    @Test func changingAnyByteIsDetected() throws {
        let ring = try EncryptionKeyring(parsing: entry("k1", 7).text)
        let sealed = try ring.seal("access-token", associatedData: [1, 2, 3])
        guard let payload = Base64.decode(String(sealed.dropFirst(3))) else {
            Issue.record("the sealed value is not base64url")
            return
        }
        for index in payload.indices {  // nonce, ciphertext and tag
            var tampered = payload
            tampered[index] ^= 0x01
            let forged = "k1:" + Base64.encodeURLSafeNoPadding(tampered)
            #expect(throws: CryptoError.self, "byte \(index)") { try ring.open(forged, associatedData: [1, 2, 3]) }
        }
        // Truncated and extended.
        #expect(throws: CryptoError.self) { try ring.open("k1:" + Base64.encodeURLSafeNoPadding(payload.dropLast()), associatedData: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try ring.open("k1:" + Base64.encodeURLSafeNoPadding(payload + [0]), associatedData: [1, 2, 3]) }
    }

    @Test func wrongAssociatedDataIsRefused() throws {
        let ring = try EncryptionKeyring(parsing: entry("k1", 7).text)
        let sealed = try ring.seal("token", associatedData: Array("connection:1".utf8))
        #expect(throws: CryptoError.self) { try ring.open(sealed, associatedData: Array("connection:2".utf8)) }
        #expect(throws: CryptoError.self) { try ring.open(sealed) }
        let error = #expect(throws: CryptoError.self) { try ring.openString(sealed, associatedData: Array("connection:2".utf8)) }
        #expect(error?.description.contains("authentication failed") == true)
    }

    @Test func rotationOpensOldValuesAndSealsWithTheNewKey() throws {
        let old = entry("old", 1)
        let new = entry("new", 2)
        let before = try EncryptionKeyring(parsing: old.text)
        let sealedBefore = try before.seal("gho_oldtoken")

        let after = try EncryptionKeyring(parsing: new.text + "," + old.text)
        #expect(after.currentKeyID == "new")
        #expect(after.keyIDs == ["new", "old"])
        #expect(try after.openString(sealedBefore) == "gho_oldtoken")
        let resealed = try after.seal("gho_oldtoken")
        #expect(EncryptionKeyring.keyID(of: resealed) == "new")
        #expect(try after.openString(resealed) == "gho_oldtoken")
        // The old ring does not know the new key.
        let error = #expect(throws: CryptoError.self) { try before.open(resealed) }
        #expect(error?.description.contains("unknown key id \"new\"") == true)
    }

    @Test func aKeyIDNamingAnotherKeyFailsAuthentication() throws {
        let ring = try EncryptionKeyring(parsing: entry("a", 1).text + "," + entry("b", 2).text)
        let sealed = try ring.seal("token")
        let relabelled = "b:" + sealed.dropFirst(2)
        #expect(throws: CryptoError.self) { try ring.open(relabelled) }
    }

    @Test func malformedSealedValuesAreRefused() throws {
        let ring = try EncryptionKeyring(parsing: entry("k1", 7).text)
        let sealed = try ring.seal("token")
        let body = String(sealed.dropFirst(3))
        for bad in ["", "k1", "k1:", ":" + body, "k1:" + body + "=", "k1:" + body + "!", "k 1:" + body, "k1:AAAA", "k1:+" + body.dropFirst()] {
            #expect(throws: CryptoError.self, "\(bad)") { try ring.open(bad) }
            #expect(EncryptionKeyring.keyID(of: bad) == nil, "\(bad)")
        }
    }

    // MARK: Parsing TOLLGATE_ENCRYPTION_KEY

    @Test func parsesStandardAndURLSafeBase64WithOrWithoutPadding() throws {
        // Bytes chosen so that the encodings contain + / (standard) and - _ (URL-safe).
        let key: [UInt8] = (0..<32).map { UInt8(truncatingIfNeeded: 0xFB &+ $0 &* 37) }
        let standard = Base64.encode(key)
        #expect(standard.contains("+") || standard.contains("/"))
        let urlSafe = Base64.encodeURLSafeNoPadding(key)
        let a = try EncryptionKeyring(parsing: "a:" + standard)
        let b = try EncryptionKeyring(parsing: " b:" + urlSafe + " ,  c:" + String(standard.dropLast()))
        #expect(b.keyIDs == ["b", "c"])
        let sealed = try a.seal("x")
        // The same key under another id opens it once relabelled.
        #expect(try b.openString("b:" + sealed.dropFirst(2)) == "x")
        #expect(try b.openString("c:" + sealed.dropFirst(2)) == "x")
    }

    @Test func parsingErrorsNameTheProblemWithoutTheKey() throws {
        let short = Base64.encode([UInt8](repeating: 9, count: 16))
        let long = Base64.encode([UInt8](repeating: 9, count: 33))
        let good = entry("good", 5).text
        let goodKey = String(good.dropFirst(5))
        let cases: [(text: String, expect: String, secret: String?)] = [
            ("", "no key", nil),
            ("  ", "no key", nil),
            ("k1:" + short, "16 bytes", short),
            ("k1:" + long, "33 bytes", long),
            ("k1:" + goodKey.dropLast(2) + "!!", "not valid base64", String(goodKey.dropLast(2))),
            ("k1:", "empty", nil),
            (goodKey, "no colon", goodKey),
            (good + "," + good, "\"good\" appears more than once", goodKey),
            (good + ",", "entry 2 is empty", goodKey),
            ("bad id:" + goodKey, "key id must be", goodKey),
            (String(repeating: "k", count: 33) + ":" + goodKey, "key id must be", goodKey),
        ]
        for c in cases {
            let error = #expect(throws: CryptoError.self, "\(c.text)") { try EncryptionKeyring(parsing: c.text) }
            guard let error else { continue }
            #expect(error.description.contains(c.expect), "\(error.description)")
            if let secret = c.secret {
                #expect(!error.description.contains(secret), "\(error.description)")
                #expect(!error.description.contains(secret.prefix(8)), "\(error.description)")
            }
        }
    }

    @Test func keysInitializerValidates() throws {
        let key = [UInt8](repeating: 3, count: 32)
        #expect(throws: CryptoError.self) { try EncryptionKeyring(keys: []) }
        #expect(throws: CryptoError.self) { try EncryptionKeyring(keys: [(id: "a", key: Array(key.prefix(31)))]) }
        #expect(throws: CryptoError.self) { try EncryptionKeyring(keys: [(id: "", key: key)]) }
        #expect(throws: CryptoError.self) { try EncryptionKeyring(keys: [(id: "a", key: key), (id: "a", key: key)]) }
        let ring = try EncryptionKeyring(keys: [(id: "A-z_09", key: key)])
        #expect(ring.currentKeyID == "A-z_09")
    }

    @Test func generatedEntriesParseAndDiffer() throws {
        let first = try EncryptionKeyring.generateKeyEntry(id: "2026-01")
        let second = try EncryptionKeyring.generateKeyEntry(id: "2025-12")
        #expect(first.hasPrefix("2026-01:") && first != second)
        let ring = try EncryptionKeyring(parsing: first + "," + second)
        #expect(ring.keyIDs == ["2026-01", "2025-12"])
        #expect(try ring.openString(try ring.seal("t")) == "t")
        #expect(throws: CryptoError.self) { try EncryptionKeyring.generateKeyEntry(id: "no spaces") }
    }

    @Test func descriptionShowsKeyIDsOnly() throws {
        let e = entry("k1", 0x5A)
        let ring = try EncryptionKeyring(parsing: e.text)
        let keyText = String(e.text.dropFirst(3))
        for text in [ring.description, String(reflecting: ring), "\(ring)"] {
            #expect(text.contains("k1"))
            #expect(!text.contains(keyText.prefix(8)))
            #expect(!text.contains("90, 90"))  // 0x5A as decimal array elements
        }
    }
}

@Suite struct Base64Tests {
    @Test func matchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.encodeURLSafeNoPadding(Array(plain.utf8)) == encoded.replacingOccurrences(of: "=", with: ""))
            #expect(Base64.decode(encoded) == Array(plain.utf8))
            #expect(Base64.decode(encoded.replacingOccurrences(of: "=", with: "")) == Array(plain.utf8))
        }
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64.encodeURLSafeNoPadding([0xFB, 0xFF]) == "-_8")
        #expect(Base64.decode("-_8") == [0xFB, 0xFF])
        #expect(Base64.decode("+/8") == [0xFB, 0xFF])
    }

    @Test func randomBytesRoundTripInBothAlphabets() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encodeURLSafeNoPadding(bytes), urlSafeOnly: true, allowPadding: false) == bytes)
            #expect(Base64.encode(bytes) == Data(bytes).base64EncodedString())
        }
    }

    @Test func refusesNonCanonicalInput() {
        for bad in ["Zg=", "Z", "Zh==", "Zm9=", "Zg===", "Z g=", "+_8=", "Zg==Zg==", "Zm9v\n"] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
        #expect(Base64.decode("+/8", urlSafeOnly: true) == nil)
        #expect(Base64.decode("Zg==", allowPadding: false) == nil)
    }
}
