import COpenSSL

/// AES-256-GCM under a set of keys with ids; the first key seals, every key opens.
///
/// A sealed string is `KEYID:` followed by base64url without padding of
/// `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`; the nonce is fresh and random for every seal
/// (at most 2³² seals per key keep the collision risk within NIST SP 800-38D's bound). The key id
/// picks the key that opens it, so keys can rotate: put the new key first and keep the old ones
/// until every stored value has been sealed again.
///
/// The keyring never prints its keys: its description lists the key ids only, and no error
/// message contains key material or plaintext.
package struct EncryptionKeyring: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package static let keyByteCount = 32
    package static let nonceByteCount = 12
    package static let tagByteCount = 16
    /// The longest key id.
    package static let maxKeyIDLength = 32

    private struct Key: Sendable {
        var id: String
        var bytes: [UInt8]
    }

    /// The keys in order; never empty, the first seals.
    private let keys: [Key]

    /// Parses TOLLGATE_ENCRYPTION_KEY: comma-separated `KEYID:BASE64` entries (standard or URL-safe base64 of exactly 32 bytes); the first entry is the current key; key ids are 1–32 chars of [A-Za-z0-9_-], unique. Errors name the problem and never include key material.
    ///
    /// Spaces and tabs around entries are ignored; padding is optional.
    package init(parsing text: String) throws(CryptoError) {
        let operation = "TOLLGATE_ENCRYPTION_KEY"
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingBlanks() }
        if entries.allSatisfy(\.isEmpty) {
            throw .failure(operation, "no key: expected comma-separated KEYID:BASE64 entries (32-byte keys)")
        }
        var parsed: [(id: String, key: [UInt8])] = []
        for (offset, entry) in entries.enumerated() {
            let position = "entry \(offset + 1)"
            guard !entry.isEmpty else { throw .failure(operation, "\(position) is empty") }
            guard let colon = entry.firstIndex(of: ":") else {
                throw .failure(operation, "\(position) is not KEYID:BASE64 (no colon)")
            }
            let id = String(entry[..<colon])
            // An invalid id is not echoed: it might be a key pasted in the wrong place.
            guard Self.isValidKeyID(id) else {
                throw .failure(operation, "\(position): the key id must be 1–\(Self.maxKeyIDLength) characters of A–Z, a–z, 0–9, _ and -")
            }
            let encoded = String(entry[entry.index(after: colon)...])
            guard !encoded.isEmpty else { throw .failure(operation, "\(position) (key id \"\(id)\"): the key is empty") }
            guard let key = Base64.decode(encoded) else {
                throw .failure(operation, "\(position) (key id \"\(id)\"): the key is not valid base64 (standard or URL-safe)")
            }
            guard key.count == Self.keyByteCount else {
                throw .failure(operation, "\(position) (key id \"\(id)\"): the key is \(key.count) bytes, AES-256 needs \(Self.keyByteCount)")
            }
            parsed.append((id: id, key: key))
        }
        try self.init(keys: parsed)
    }

    /// A keyring of `keys`; the first is the current key (it seals).
    package init(keys: [(id: String, key: [UInt8])]) throws(CryptoError) {
        let operation = "encryption keyring"
        guard !keys.isEmpty else { throw .failure(operation, "no key") }
        var seen = Set<String>()
        var result: [Key] = []
        for (offset, entry) in keys.enumerated() {
            guard Self.isValidKeyID(entry.id) else {
                throw .failure(operation, "key \(offset + 1): the key id must be 1–\(Self.maxKeyIDLength) characters of A–Z, a–z, 0–9, _ and -")
            }
            guard entry.key.count == Self.keyByteCount else {
                throw .failure(operation, "key id \"\(entry.id)\": the key is \(entry.key.count) bytes, AES-256 needs \(Self.keyByteCount)")
            }
            guard seen.insert(entry.id).inserted else {
                throw .failure(operation, "key id \"\(entry.id)\" appears more than once")
            }
            result.append(Key(id: entry.id, bytes: entry.key))
        }
        self.keys = result
    }

    /// The id of the key that seals.
    package var currentKeyID: String { keys[0].id }

    /// Every key id, the current one first.
    package var keyIDs: [String] { keys.map(\.id) }

    /// Seals with the current key and a fresh random 96-bit nonce: "KEYID:" + base64url-no-padding(nonce ‖ ciphertext ‖ 16-byte tag).
    package func seal(_ plaintext: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> String {
        let key = keys[0]
        let nonce = try SecureRandom.bytes(Self.nonceByteCount)
        let (ciphertext, tag) = try Self.encrypt(plaintext, key: key.bytes, nonce: nonce, associatedData: associatedData)
        return key.id + ":" + Base64.encodeURLSafeNoPadding(nonce + ciphertext + tag)
    }

    package func seal(_ plaintext: String, associatedData: [UInt8] = []) throws(CryptoError) -> String {
        try seal(Array(plaintext.utf8), associatedData: associatedData)
    }

    /// Opens a sealed string with the key its id names; fails (CryptoError, no plaintext) on an unknown key id, tampering, wrong associated data or a malformed string.
    package func open(_ sealed: String, associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        let operation = "open sealed value"
        guard let (id, payload) = Self.split(sealed) else {
            throw .failure(operation, "malformed sealed value (expected KEYID:BASE64URL of nonce, ciphertext and tag)")
        }
        guard let key = keys.first(where: { $0.id == id }) else {
            throw .failure(operation, "unknown key id \"\(id)\" (keys: \(keyIDs.joined(separator: ", ")))")
        }
        let nonce = Array(payload.prefix(Self.nonceByteCount))
        let tag = Array(payload.suffix(Self.tagByteCount))
        let ciphertext = Array(payload[Self.nonceByteCount..<(payload.count - Self.tagByteCount)])
        return try Self.decrypt(ciphertext, tag: tag, key: key.bytes, nonce: nonce, associatedData: associatedData)
    }

    /// ``open(_:associatedData:)`` for a sealed UTF-8 string; invalid UTF-8 is an error.
    package func openString(_ sealed: String, associatedData: [UInt8] = []) throws(CryptoError) -> String {
        let bytes = try open(sealed, associatedData: associatedData)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw .failure("open sealed value", "the plaintext is not UTF-8")
        }
        return text
    }

    /// The key id a sealed string names, or nil when malformed.
    package static func keyID(of sealed: String) -> String? {
        split(sealed)?.id
    }

    /// A new random key as `KEYID:BASE64` (for the CLI's key generation).
    package static func generateKeyEntry(id: String) throws(CryptoError) -> String {
        guard isValidKeyID(id) else {
            throw .failure("generate encryption key", "the key id must be 1–\(maxKeyIDLength) characters of A–Z, a–z, 0–9, _ and -")
        }
        return id + ":" + Base64.encode(try SecureRandom.bytes(keyByteCount))
    }

    // MARK: Description (key ids only)

    package var description: String {
        "EncryptionKeyring(current: \(currentKeyID), keys: [\(keyIDs.joined(separator: ", "))])"
    }

    package var debugDescription: String { description }

    package var customMirror: Mirror {
        Mirror(self, children: ["currentKeyID": currentKeyID, "keyIDs": keyIDs], displayStyle: .struct)
    }

    // MARK: Format

    static func isValidKeyID(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard (1...maxKeyIDLength).contains(utf8.count) else { return false }
        return utf8.allSatisfy { c in
            (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }

    /// The key id and the decoded `nonce ‖ ciphertext ‖ tag` of a well-formed sealed string.
    private static func split(_ sealed: String) -> (id: String, payload: [UInt8])? {
        guard let colon = sealed.firstIndex(of: ":") else { return nil }
        let id = String(sealed[..<colon])
        guard isValidKeyID(id),
            let payload = Base64.decode(String(sealed[sealed.index(after: colon)...]), urlSafeOnly: true, allowPadding: false),
            payload.count >= nonceByteCount + tagByteCount
        else { return nil }
        return (id, payload)
    }

    // MARK: AES-256-GCM through OpenSSL EVP

    /// Encrypts with an explicit nonce (tests use it for known-answer vectors; ``seal(_:associatedData:)``
    /// always passes a fresh random one). Returns the ciphertext and the 16-byte tag.
    static func encrypt(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) -> (ciphertext: [UInt8], tag: [UInt8]) {
        let operation = "AES-256-GCM seal"
        try checkSizes(operation, key: key, nonce: nonce, data: plaintext, associatedData: associatedData)
        guard let context = EVP_CIPHER_CTX_new() else { throw .drainingQueue(operation) }
        defer { EVP_CIPHER_CTX_free(context) }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        let ok = key.withUnsafeBufferPointer { key in
            nonce.withUnsafeBufferPointer { nonce in
                plaintext.withUnsafeBufferPointer { input in
                    associatedData.withUnsafeBufferPointer { aad in
                        ciphertext.withUnsafeMutableBufferPointer { output in
                            tag.withUnsafeMutableBufferPointer { tag in
                                guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, key.baseAddress, nonce.baseAddress) == 1 else { return false }
                                var ignored: Int32 = 0
                                if aad.count > 0 {
                                    guard EVP_EncryptUpdate(context, nil, &ignored, aad.baseAddress, Int32(aad.count)) == 1 else { return false }
                                }
                                if input.count > 0 {
                                    guard EVP_EncryptUpdate(context, output.baseAddress, &written, input.baseAddress, Int32(input.count)) == 1 else { return false }
                                }
                                guard let base = output.baseAddress,
                                    EVP_EncryptFinal_ex(context, base + Int(written), &finalWritten) == 1
                                else { return false }
                                return EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, Int32(tagByteCount), tag.baseAddress) == 1
                            }
                        }
                    }
                }
            }
        }
        guard ok else { throw .drainingQueue(operation) }
        let length = Int(written) + Int(finalWritten)
        guard length == plaintext.count else { throw .failure(operation, "unexpected ciphertext length") }
        return (Array(ciphertext.prefix(length)), tag)
    }

    /// Decrypts and verifies; throws without any plaintext when the tag does not match.
    static func decrypt(
        _ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let operation = "AES-256-GCM open"
        try checkSizes(operation, key: key, nonce: nonce, data: ciphertext, associatedData: associatedData)
        guard tag.count == tagByteCount else { throw .failure(operation, "the tag is not \(tagByteCount) bytes") }
        guard let context = EVP_CIPHER_CTX_new() else { throw .drainingQueue(operation) }
        defer { EVP_CIPHER_CTX_free(context) }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + tagByteCount)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        var tagCopy = tag
        enum Outcome { case opened, failed, forged }
        let outcome: Outcome = key.withUnsafeBufferPointer { key in
            nonce.withUnsafeBufferPointer { nonce in
                ciphertext.withUnsafeBufferPointer { input in
                    associatedData.withUnsafeBufferPointer { aad in
                        plaintext.withUnsafeMutableBufferPointer { output in
                            tagCopy.withUnsafeMutableBufferPointer { tag in
                                guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, key.baseAddress, nonce.baseAddress) == 1 else { return .failed }
                                var ignored: Int32 = 0
                                if aad.count > 0 {
                                    guard EVP_DecryptUpdate(context, nil, &ignored, aad.baseAddress, Int32(aad.count)) == 1 else { return .failed }
                                }
                                if input.count > 0 {
                                    guard EVP_DecryptUpdate(context, output.baseAddress, &written, input.baseAddress, Int32(input.count)) == 1 else { return .failed }
                                }
                                guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, Int32(tagByteCount), tag.baseAddress) == 1,
                                    let base = output.baseAddress
                                else { return .failed }
                                return EVP_DecryptFinal_ex(context, base + Int(written), &finalWritten) > 0 ? .opened : .forged
                            }
                        }
                    }
                }
            }
        }
        switch outcome {
        case .opened:
            let length = Int(written) + Int(finalWritten)
            guard length == ciphertext.count else { throw .failure(operation, "unexpected plaintext length") }
            return Array(plaintext.prefix(length))
        case .forged:
            // Nothing decrypted leaves this function.
            plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            _ = CryptoError.drainingQueue(operation)
            throw .failure(operation, "authentication failed (wrong key, tampered value or wrong associated data)")
        case .failed:
            plaintext.withUnsafeMutableBytes { OPENSSL_cleanse($0.baseAddress, $0.count) }
            throw .drainingQueue(operation)
        }
    }

    private static func checkSizes(
        _ operation: String, key: [UInt8], nonce: [UInt8], data: [UInt8], associatedData: [UInt8]
    ) throws(CryptoError) {
        guard key.count == keyByteCount else { throw .failure(operation, "the key is not \(keyByteCount) bytes") }
        guard nonce.count == nonceByteCount else { throw .failure(operation, "the nonce is not \(nonceByteCount) bytes") }
        let limit = Int(Int32.max) - 2 * tagByteCount
        guard data.count <= limit, associatedData.count <= limit else { throw .failure(operation, "the input is too large") }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs.
    fileprivate func trimmingBlanks() -> Substring {
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return self[endIndex...] }
        return self[first...last]
    }
}
