// TEMPORARY STAND-IN (branch oauth): the real EncryptionKeyring (AES-256-GCM) comes from the
// oauthpeer branch through main. Delete this file when main has it. NOT ENCRYPTION.
import Foundation

public struct EncryptionKeyring: Sendable {
    private let entries: [(id: String, key: [UInt8])]

    public init(parsing text: String) throws(CryptoError) {
        var keys: [(id: String, key: [UInt8])] = []
        for entry in text.split(separator: ",") {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let data = Data(base64Encoded: String(parts[1])), data.count == 32 else {
                throw CryptoError(operation: "key parsing", reasons: ["expected KEYID:BASE64 of 32 bytes"])
            }
            keys.append((String(parts[0]), Array(data)))
        }
        try self.init(keys: keys)
    }

    public init(keys: [(id: String, key: [UInt8])]) throws(CryptoError) {
        guard !keys.isEmpty else { throw CryptoError(operation: "key parsing", reasons: ["no keys"]) }
        entries = keys
    }

    public var currentKeyID: String { entries[0].id }
    public var keyIDs: [String] { entries.map(\.id) }

    public func seal(_ plaintext: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> String {
        let key = entries[0].key
        let nonce = try SecureRandom.bytes(12)
        let body = Self.xor(plaintext, key: key, nonce: nonce)
        let tag = HMACSHA256.authenticationCode(for: nonce + body + associatedData, key: key)
        return currentKeyID + ":" + Data(nonce + body + tag).base64EncodedString()
    }

    public func seal(_ plaintext: String, associatedData: [UInt8] = []) throws(CryptoError) -> String {
        try seal(Array(plaintext.utf8), associatedData: associatedData)
    }

    public func open(_ sealed: String, associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        guard let id = Self.keyID(of: sealed), let entry = entries.first(where: { $0.id == id }),
              let data = Data(base64Encoded: String(sealed.dropFirst(id.count + 1))), data.count >= 44 else {
            throw CryptoError(operation: "open", reasons: ["unknown key or malformed"])
        }
        let bytes = Array(data)
        let nonce = Array(bytes[0..<12]), body = Array(bytes[12..<(bytes.count - 32)]), tag = Array(bytes.suffix(32))
        guard ConstantTime.equals(tag, HMACSHA256.authenticationCode(for: nonce + body + associatedData, key: entry.key)) else {
            throw CryptoError(operation: "open", reasons: ["authentication failed"])
        }
        return Self.xor(body, key: entry.key, nonce: nonce)
    }

    public func openString(_ sealed: String, associatedData: [UInt8] = []) throws(CryptoError) -> String {
        String(decoding: try open(sealed, associatedData: associatedData), as: UTF8.self)
    }

    public static func keyID(of sealed: String) -> String? {
        guard let colon = sealed.firstIndex(of: ":") else { return nil }
        return String(sealed[..<colon])
    }

    public static func generateKeyEntry(id: String) throws(CryptoError) -> String {
        id + ":" + Data(try SecureRandom.bytes(32)).base64EncodedString()
    }

    private static func xor(_ input: [UInt8], key: [UInt8], nonce: [UInt8]) -> [UInt8] {
        var stream: [UInt8] = []
        var counter: UInt32 = 0
        while stream.count < input.count {
            stream += SHA256.digest(key + nonce + withUnsafeBytes(of: counter.bigEndian, Array.init))
            counter += 1
        }
        return zip(input, stream).map { $0 ^ $1 }
    }
}
