import Foundation
import TollgateBase

/// Renders one log event as a JSON object: `ts`, `level`, `logger`, `msg`, then the metadata
/// keys in sorted order, so lines are stable and easy to grep.
enum LogLine {
    static func render(level: LogLevel, label: String, message: String, metadata: [String: String]) -> String {
        var out = "{\"ts\":\""
        out += Date.now.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
        out += "\",\"level\":\"\(level)\",\"logger\":"
        JSONString.append(label, to: &out)
        out += ",\"msg\":"
        JSONString.append(message, to: &out)
        for key in metadata.keys.sorted() {
            out += ","
            JSONString.append(key, to: &out)
            out += ":"
            JSONString.append(metadata[key] ?? "", to: &out)
        }
        out += "}"
        return out
    }
}
