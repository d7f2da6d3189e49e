package import TollgateWire

/// Why a catalog was refused: every problem, each naming its place in the file. Nothing changes.
package struct CatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    package struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// Where: `features[2].reset`, `plans[0].entitlements.seats`, `catalog`.
        package var place: String
        package var message: String

        package init(place: String, message: String) {
            self.place = place
            self.message = message
        }

        package var description: String { "\(place): \(message)" }

        init(decoding error: DecodingError) {
            func path(_ context: DecodingError.Context) -> String {
                let text = WireJSON.fieldName(context.codingPath)
                return text.isEmpty ? "catalog" : text
            }
            switch error {
            case .keyNotFound(let key, let context):
                let parent = path(context)
                self.init(place: parent == "catalog" ? WireJSON.snakeCase(key.stringValue) : "\(parent).\(WireJSON.snakeCase(key.stringValue))", message: "is required")
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
    }

    package var problems: [Problem]

    package init(_ problems: [Problem]) { self.problems = problems }

    package var description: String {
        "the catalog has \(problems.count) problem\(problems.count == 1 ? "" : "s"):\n" + problems.map { "  \($0)" }.joined(separator: "\n")
    }
}

extension CatalogError: FailureConvertible {
    /// An invalid catalog file: invalid (`invalid_catalog`), each problem a detail naming its place.
    package var failure: Failure {
        Failure(.invalid, code: "invalid_catalog", message: description, details: problems.map { Failure.Detail(field: $0.place, issue: $0.message) })
    }
}
