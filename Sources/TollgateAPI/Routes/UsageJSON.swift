import Foundation
import Tollgate
import TollgateEntitlements
import TollgateHTTPServer
import TollgateBase
import TollgateWire

/// Usage's response bodies, written directly.
///
/// `POST /v1/usage` is answered once per event; `JSONEncoder` was an eighth of its CPU. This writes
/// exactly what `WireJSON.encoder()` makes of a ``UsageOutcome`` and a ``UsageBatchResponse``
/// (sorted snake_case keys, nil fields left out, ISO-8601 seconds) — `UsageJSONTests` holds them
/// byte-for-byte equal.
enum UsageJSON {
    static func response(_ outcome: UsageOutcome) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(encode(outcome).utf8))
    }

    static func response(_ batch: UsageBatchResponse) -> HTTPResponse {
        HTTPResponse(status: 200, headers: ["Content-Type": "application/json"], body: Array(encode(batch).utf8))
    }

    static func encode(_ outcome: UsageOutcome) -> String {
        var out = "{\"allowed\":\(outcome.allowed)"
        if let credits = outcome.credits {
            out += ",\"credits\":{\"available\":\(credits.available),\"balance\":\(credits.balance),\"cost\":\(credits.cost),\"pool\":"
            JSONString.append(credits.pool, to: &out)
            out += "}"
        }
        out += ",\"duplicate\":\(outcome.duplicate),\"feature\":"
        JSONString.append(outcome.feature.rawValue, to: &out)
        out += ",\"quantity\":\(outcome.quantity)"
        if let reason = outcome.reason {
            out += ",\"reason\":"
            JSONString.append(reason.rawValue, to: &out)
        }
        if let remaining = outcome.remaining { out += ",\"remaining\":\(remaining)" }
        if let resetsAt = outcome.resetsAt { out += ",\"resets_at\":\"\(WireJSON.instant(resetsAt))\"" }
        out += ",\"used\":\(outcome.used)}"
        return out
    }

    static func encode(_ batch: UsageBatchResponse) -> String {
        var out = "{\"counted\":\(batch.counted),\"duplicate\":\(batch.duplicate),\"refused\":\(batch.refused),\"results\":["
        out.reserveCapacity(64 + batch.results.count * 48)
        for (index, result) in batch.results.enumerated() {
            out += index == 0 ? "{" : ",{"
            var first = true
            func key(_ name: String) {
                out += first ? "\"\(name)\":" : ",\"\(name)\":"
                first = false
            }
            if let message = result.message {
                key("message")
                JSONString.append(message, to: &out)
            }
            if let reason = result.reason {
                key("reason")
                JSONString.append(reason, to: &out)
            }
            if let remaining = result.remaining {
                key("remaining")
                out += String(remaining)
            }
            key("status")
            out += "\"\(result.status.rawValue)\""
            if let used = result.used {
                key("used")
                out += String(used)
            }
            out += "}"
        }
        out += "]}"
        return out
    }
}
