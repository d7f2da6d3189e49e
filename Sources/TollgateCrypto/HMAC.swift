import COpenSSL

/// HMAC-SHA256 (RFC 2104) through OpenSSL. Used for Stripe webhook signatures and anywhere a
/// keyed digest is needed.
package enum HMACSHA256 {
    package static func authenticationCode(for message: [UInt8], key: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBuffer in
            message.withUnsafeBytes { messageBuffer in
                HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(keyBuffer.count),
                     messageBuffer.baseAddress, messageBuffer.count, &output, &length)
            }
        }
        // HMAC() returns NULL only when OpenSSL cannot allocate its context.
        precondition(result != nil, "HMAC-SHA256 failed: out of memory")
        return Array(output.prefix(Int(length)))
    }

    package static func authenticationCode(for message: String, key: String) -> [UInt8] {
        authenticationCode(for: Array(message.utf8), key: Array(key.utf8))
    }
}
