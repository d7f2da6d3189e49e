import COpenSSL

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP interface.
package enum SHA256 {
    package static let byteCount = 32

    /// The algorithm, fetched from OpenSSL's default provider once: `EVP_sha256()` is an implicit
    /// fetch that OpenSSL 3 repeats on every digest (a quarter of a short digest's cost; every
    /// authenticated request hashes its key). An `EVP_MD` is immutable and safe to share.
    nonisolated(unsafe) private static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    package static func digest(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0) }
    }

    package static func digest(_ string: String) -> [UInt8] {
        string.utf8.withContiguousStorageIfAvailable { digest(UnsafeRawBufferPointer($0)) } ?? digest(Array(string.utf8))
    }

    static func digest(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        // EVP_Digest with SHA-256 fails only when OpenSSL cannot allocate a context.
        let ok = EVP_Digest(input.baseAddress, input.count, &output, &length, algorithm ?? EVP_sha256(), nil)
        precondition(ok == 1, "EVP_Digest(SHA-256) failed: out of memory")
        return output
    }

    /// The digest as lowercase hex.
    package static func hex(_ bytes: [UInt8]) -> String { Hex.encode(digest(bytes)) }
    package static func hex(_ string: String) -> String { Hex.encode(digest(string)) }
}
