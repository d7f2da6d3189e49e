import Foundation

/// Reads variables from an environment with defaults, turning bad values into
/// ``ConfigurationError``s that name the variable.
struct EnvironmentReader {
    let environment: [String: String]
    let defaults: [String: String]

    func optional(_ name: String) -> String? {
        guard let value = environment[name], !value.isEmpty else { return defaults[name] }
        return value
    }

    func string(_ name: String) throws(ConfigurationError) -> String {
        guard let value = optional(name) else { throw ConfigurationError(variable: name, message: "is required") }
        return value
    }

    func integer(_ name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let text = try string(name)
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
            throw ConfigurationError(variable: name, message: "expected a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    func parse<T>(_ name: String, _ transform: (String) throws(ConfigurationError) -> T) throws(ConfigurationError) -> T {
        try transform(try string(name))
    }
}
