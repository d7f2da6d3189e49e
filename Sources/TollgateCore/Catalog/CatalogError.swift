/// Why a catalog was refused: every problem, each naming its place in the file. Nothing changes.
public struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// Where: `features[2].reset`, `plans[0].entitlements.seats`, `catalog`.
        public var place: String
        public var message: String

        public init(place: String, message: String) {
            self.place = place
            self.message = message
        }

        public var description: String { "\(place): \(message)" }

        init(decoding error: DecodingError) {
            func path(_ context: DecodingError.Context) -> String {
                var text = ""
                for key in context.codingPath {
                    if let index = key.intValue {
                        text += "[\(index)]"
                    } else {
                        text += text.isEmpty ? Self.snakeCase(key.stringValue) : "." + Self.snakeCase(key.stringValue)
                    }
                }
                return text.isEmpty ? "catalog" : text
            }
            switch error {
            case .keyNotFound(let key, let context):
                let parent = path(context)
                self.init(place: parent == "catalog" ? Self.snakeCase(key.stringValue) : "\(parent).\(Self.snakeCase(key.stringValue))", message: "is required")
            case .typeMismatch(let type, let context):
                self.init(place: path(context), message: "expected \(Self.describe(type))")
            case .valueNotFound(let type, let context):
                self.init(place: path(context), message: "expected \(Self.describe(type)), found null")
            case .dataCorrupted(let context):
                self.init(place: path(context), message: context.codingPath.isEmpty ? "not a valid JSON document" : context.debugDescription)
            @unknown default:
                self.init(place: "catalog", message: "does not match the catalog format")
            }
        }

        private static func describe(_ type: Any.Type) -> String {
            switch type {
            case is String.Type: "a string"
            case is Int.Type, is Int64.Type: "a whole number"
            case is Bool.Type: "true or false"
            default: "a \(String(describing: type).lowercased())"
            }
        }

        /// `trialDays` → `trial_days`, the way the file spells keys.
        static func snakeCase(_ key: String) -> String {
            var out = ""
            for character in key {
                if character.isUppercase {
                    out += "_" + character.lowercased()
                } else {
                    out.append(character)
                }
            }
            return out
        }
    }

    public var problems: [Problem]

    public init(_ problems: [Problem]) { self.problems = problems }

    public var description: String {
        "the catalog has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}
