import Foundation

/// Base64 with the URL- and filename-safe alphabet and no padding (RFC 4648 §5), as PKCE
/// (RFC 7636 §3, appendix A) requires.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
