import COpenSSL

/// Comparisons whose running time does not depend on where the inputs differ.
package enum ConstantTime {
    /// True when `a` and `b` are equal. The lengths are compared first (lengths of digests and
    /// signatures are public); the contents with OpenSSL's `CRYPTO_memcmp`.
    package static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in
                CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0
            }
        }
    }
}
