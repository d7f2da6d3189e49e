import COpenSSL

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface.
package enum SHA256 {
    package static let byteCount = 32

    package static func digest(_ bytes: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        // EVP_Digest with SHA-256 fails only when OpenSSL cannot allocate a context.
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &output, &length, EVP_sha256(), nil)
        }
        precondition(ok == 1, "EVP_Digest(SHA-256) failed: out of memory")
        return output
    }

    package static func digest(_ string: String) -> [UInt8] { digest(Array(string.utf8)) }

    /// The digest as lowercase hex.
    package static func hex(_ bytes: [UInt8]) -> String { Hex.encode(digest(bytes)) }
    package static func hex(_ string: String) -> String { hex(Array(string.utf8)) }
}
