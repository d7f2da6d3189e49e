import COpenSSL

/// A failure inside OpenSSL. The message is drained from OpenSSL's error queue (it names the
/// failing routine, never key material).
package struct CryptoError: Error, Sendable, CustomStringConvertible {
    package var operation: String
    package var reasons: [String]

    package var description: String {
        reasons.isEmpty ? "\(operation) failed" : "\(operation) failed: \(reasons.joined(separator: "; "))"
    }

    /// An error that did not come from OpenSSL (a malformed input, an unknown key id, …).
    /// `reason` must never contain key material or plaintext.
    package static func failure(_ operation: String, _ reason: String) -> CryptoError {
        CryptoError(operation: operation, reasons: [reason])
    }

    /// Builds an error for `operation` and empties OpenSSL's per-thread error queue into it.
    static func drainingQueue(_ operation: String) -> CryptoError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return CryptoError(operation: operation, reasons: reasons)
    }
}
