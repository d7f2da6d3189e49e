import Foundation
import Tollgate
import TollgateLogging
import TollgateBase
import TollgateWire

/// The entitlement check's response body, written directly.
///
/// The check is the hottest endpoint; `JSONEncoder` was a fifth of its CPU. This writes exactly
/// what `WireJSON.encoder()` makes of a ``CheckResult`` (sorted snake_case keys, nil fields left
/// out, ISO-8601 seconds) — `CheckResultJSONTests` holds the two byte-for-byte equal — with, for a
/// feature priced in credits, its `credits` member (``EntitlementSnapshot/creditUse(_:)``).
enum CheckResultJSON {
    static func encode(_ result: CheckResult, credits: FeatureCreditUse? = nil) -> [UInt8] {
        var out = "{\"allowed\":\(result.allowed)"
        if let credits {
            out += ",\"credits\":{\"available\":\(credits.available),\"balance\":\(credits.balance),\"cost\":\(credits.cost),\"pool\":"
            JSONString.append(credits.pool, to: &out)
            out += "}"
        }
        out += ",\"feature\":"
        JSONString.append(result.feature.rawValue, to: &out)
        if let reason = result.reason {
            out += ",\"reason\":"
            JSONString.append(reason.rawValue, to: &out)
        }
        if let remaining = result.remaining { out += ",\"remaining\":\(remaining)" }
        if let resetsAt = result.resetsAt { out += ",\"resets_at\":\"\(WireJSON.instant(resetsAt))\"" }
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
}
