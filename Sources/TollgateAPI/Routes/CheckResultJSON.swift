import Foundation
import Tollgate
import TollgateLogging
import TollgateBase

/// The entitlement check's response body, written directly.
///
/// The check is the hottest endpoint; `JSONEncoder` was a fifth of its CPU. This writes exactly
/// what `WireJSON.encoder()` makes of a ``CheckResult`` (sorted snake_case keys, nil fields left
/// out, ISO-8601 seconds) — `CheckResultJSONTests` holds the two byte-for-byte equal.
enum CheckResultJSON {
    static func encode(_ result: CheckResult) -> [UInt8] {
        var out = "{\"allowed\":\(result.allowed),\"feature\":"
        JSONString.append(result.feature.rawValue, to: &out)
        if let reason = result.reason {
            out += ",\"reason\":"
            JSONString.append(reason.rawValue, to: &out)
        }
        if let remaining = result.remaining { out += ",\"remaining\":\(remaining)" }
        if let resetsAt = result.resetsAt { out += ",\"resets_at\":\"\(iso8601(resetsAt))\"" }
        if let used = result.used { out += ",\"used\":\(used)" }
        if let value = result.value {
            switch value {
            case .enabled: out += ",\"value\":true"
            case .limit(let number): out += ",\"value\":\(number)"
            case .unlimited: out += ",\"value\":\"unlimited\""
            }
        }
        out += "}"
        return Array(out.utf8)
    }

    /// `2026-12-01T00:00:00Z`, as `JSONEncoder.DateEncodingStrategy.iso8601` writes it.
    static func iso8601(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
