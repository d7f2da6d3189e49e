import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG (`RAND_bytes`).
package enum SecureRandom {
    package static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return output }
        let ok = output.withUnsafeMutableBytes { RAND_bytes($0.baseAddress, Int32($0.count)) }
        guard ok == 1 else { throw CryptoError.drainingQueue("RAND_bytes") }
        return output
    }

    /// A random string of `count` characters from the URL-safe alphabet `[A-Za-z0-9]`,
    /// drawn without modulo bias.
    package static func token(_ count: Int) throws(CryptoError) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(count)
        while result.count < count {
            for byte in try bytes(count * 2) where byte < 248 {  // 248 = 62 * 4: unbiased
                result.append(alphabet[Int(byte) % alphabet.count])
                if result.count == count { break }
            }
        }
        return String(decoding: result, as: UTF8.self)
    }
}
