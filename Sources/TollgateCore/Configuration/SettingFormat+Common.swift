import Foundation
import Tollgate

/// The value formats variables share.
extension SettingFormat where Value == String {
    /// Any non-empty text, taken as set.
    static var text: SettingFormat<String> { text(accepts: "text") }

    static func text(accepts: String) -> SettingFormat<String> {
        SettingFormat(accepts: accepts, parse: { $0 }, text: { $0 })
    }
}

extension SettingFormat where Value == Int {
    /// A whole number within `range`.
    static func integer(_ range: ClosedRange<Int>) -> SettingFormat<Int> {
        SettingFormat(
            accepts: "\(range.lowerBound)–\(range.upperBound)",
            parse: { text throws(SettingProblem) in
                guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                    throw SettingProblem("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
                }
                return value
            },
            text: { String($0) })
    }
}

extension SettingFormat where Value == [String] {
    /// Comma-separated items, blanks around them and empty items dropped; each item passes `check`.
    static func list(accepts: String, check: @escaping @Sendable (String) throws(SettingProblem) -> Void = { _ in }) -> SettingFormat<[String]> {
        SettingFormat(
            accepts: accepts,
            parse: { text throws(SettingProblem) in
                let items = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                for item in items { try check(item) }
                return items
            },
            text: { $0.isEmpty ? nil : $0.joined(separator: ",") })
    }
}

extension SettingFormat {
    /// One of a closed set of names, each value's `name`; compared after `normalize`.
    static func oneOf(
        _ cases: [Value], name: @escaping @Sendable (Value) -> String, normalize: @escaping @Sendable (String) -> String = { $0 }
    ) -> SettingFormat<Value> {
        let names = cases.map(name)
        return SettingFormat(
            accepts: Self.words(names.map { "`\($0)`" }, last: "or"),
            parse: { text throws(SettingProblem) in
                guard let value = cases.first(where: { name($0) == normalize(text) }) else {
                    throw SettingProblem("expected one of \(names.joined(separator: ", ")), got \"\(text)\"")
                }
                return value
            },
            text: { name($0) })
    }

    /// `a`, `a or b`, `a, b or c`.
    static func words(_ items: [String], last: String) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " \(last) " + (items.last ?? "")
    }
}

extension SettingFormat where Value == RateLimitPolicy? {
    /// `LIMIT/SECONDS:BURST` (`10000/1:20000`), `LIMIT/SECONDS` (burst = limit), or `off` (nil).
    static func rateLimit(policy name: String) -> SettingFormat<RateLimitPolicy?> {
        SettingFormat(
            accepts: "`LIMIT/SECONDS[:BURST]` or `off`",
            parse: { text throws(SettingProblem) in
                if text == "off" { return nil }
                let fail = SettingProblem("expected LIMIT/SECONDS:BURST such as 10000/1:20000, or off; got \"\(text)\"")
                let parts = text.split(separator: ":", omittingEmptySubsequences: false)
                let rate = parts[0].split(separator: "/", omittingEmptySubsequences: false)
                guard parts.count <= 2, rate.count == 2, let limit = Int(rate[0]), let window = Int(rate[1]),
                      limit > 0, window > 0, limit <= 100_000_000, window <= 86_400 else { throw fail }
                let burst = parts.count == 2 ? Int(parts[1]) : limit
                guard let burst, burst > 0, burst <= 100_000_000 else { throw fail }
                return RateLimitPolicy(name: name, limit: limit, windowSeconds: window, burst: burst)
            },
            text: { policy in
                guard let policy else { return "off" }
                let rate = "\(policy.limit)/\(policy.windowSeconds)"
                return policy.burst == policy.limit ? rate : rate + ":\(policy.burst)"
            })
    }
}

extension SettingFormat where Value == String {
    /// An absolute `http(s)` URL with a host and no fragment; `query: false` refuses a query too.
    static func httpURL(query allowsQuery: Bool = false, example: String) -> SettingFormat<String> {
        SettingFormat(
            accepts: "`http(s)://…` URL",
            parse: { text throws(SettingProblem) in
                guard let components = URLComponents(string: text), ["http", "https"].contains(components.scheme ?? ""),
                      components.host?.isEmpty == false, allowsQuery || components.query == nil, components.fragment == nil
                else { throw SettingProblem("must be an http(s) URL\(allowsQuery ? "" : " without a query") such as \(example)") }
                return text
            },
            text: { $0 })
    }
}
