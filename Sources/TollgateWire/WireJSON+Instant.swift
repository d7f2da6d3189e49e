package import Foundation

extension WireJSON {
    /// `2026-12-01T00:00:00Z`, as ``encoder(pretty:keys:)`` writes an instant (its `.iso8601` strategy),
    /// for the bodies written directly (years 1970–9999).
    package static func instant(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        var out = ""
        out.reserveCapacity(20)
        func digits(_ value: Int32, _ count: Int) {
            var text = String(value)
            if text.count < count { text = String(repeating: "0", count: count - text.count) + text }
            out += text
        }
        digits(parts.tm_year + 1900, 4)
        out += "-"
        digits(parts.tm_mon + 1, 2)
        out += "-"
        digits(parts.tm_mday, 2)
        out += "T"
        digits(parts.tm_hour, 2)
        out += ":"
        digits(parts.tm_min, 2)
        out += ":"
        digits(parts.tm_sec, 2)
        out += "Z"
        return out
    }
}
