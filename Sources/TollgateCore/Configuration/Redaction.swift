/// The one place that decides what a secret looks like when printed or logged.
import Foundation
package enum Redaction {
    package static let mask = "****"

    /// A database URL with its password (userinfo or `password=` parameter) masked.
    /// `postgres://app:hunter2@db/tollgate` → `postgres://app:****@db/tollgate`.
    package static func databaseURL(_ url: String) -> String {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else { return url }
        var result = url
        if let schemeEnd = result.range(of: "://"),
           let at = result[schemeEnd.upperBound...].firstIndex(of: "@") {
            let userinfo = result[schemeEnd.upperBound..<at]
            if let colon = userinfo.firstIndex(of: ":") {
                result.replaceSubrange(result.index(after: colon)..<at, with: mask)
            }
        }
        // password=… in the query string
        if let query = result.firstIndex(of: "?") {
            let parameters = result[result.index(after: query)...].split(separator: "&", omittingEmptySubsequences: false).map { parameter -> String in
                parameter.lowercased().hasPrefix("password=") ? "password=\(mask)" : String(parameter)
            }
            result = String(result[...query]) + parameters.joined(separator: "&")
        }
        return result
    }
}
