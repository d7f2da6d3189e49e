import Foundation
package import Testing
package import TollgateBase

/// Checks responses against the operations of an OpenAPI document: the status must be one the
/// operation documents, and a JSON body must match the documented schema for that status.
///
/// Requests no operation describes (an unknown path, a method the path does not take) are left
/// alone: the router answers them, not an operation.
package struct OpenAPIResponseCheck: Sendable {
    package let validator: JSONSchemaValidator
    /// `(method, path segments, operation)` for every operation.
    private let operations: [(method: String, pattern: [Substring], operation: JSONValue)]

    package init(document: JSONValue) {
        validator = JSONSchemaValidator(document: document)
        var operations: [(method: String, pattern: [Substring], operation: JSONValue)] = []
        if case .object(let paths)? = document["paths"] {
            for (path, item) in paths {
                guard case .object(let methods) = item else { continue }
                for (method, operation) in methods { operations.append((method.uppercased(), path.split(separator: "/"), operation)) }
            }
        }
        self.operations = operations
    }

    /// The document served at `/openapi.json` on `port`.
    package init(fetchingFrom port: Int) throws {
        let response = try HTTPTestClient.request(port: port, path: "/openapi.json")
        guard response.status == 200 else { throw HTTPTestClientError("GET /openapi.json answered \(response.status)") }
        self.init(document: try JSONValue(parsing: response.body))
    }

    /// The documented operation for `method` and `target` (query ignored): the matching pattern
    /// with the most literal segments (`/v1/outbox/purge` before `/v1/outbox/{id}`).
    package func operation(method: String, target: String) -> (path: String, operation: JSONValue)? {
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let segments = path.split(separator: "/")
        let candidates = operations.filter { candidate in
            candidate.method == method.uppercased() && candidate.pattern.count == segments.count
                && zip(candidate.pattern, segments).allSatisfy { pattern, segment in pattern.hasPrefix("{") || pattern == segment }
        }
        guard let best = candidates.max(by: { literals($0.pattern) < literals($1.pattern) }) else { return nil }
        return ("/" + best.pattern.joined(separator: "/"), best.operation)
    }

    /// What is wrong with a response to `method target` per the document; empty when nothing is.
    package func problems(method: String, target: String, response: TestResponse) -> [String] {
        guard let (path, operation) = operation(method: method, target: target) else { return [] }
        let name = "\(method.uppercased()) \(path) → \(response.status)"
        guard let documented = operation["responses"]?[String(response.status)] else {
            let statuses: [String]
            if case .object(let responses)? = operation["responses"] { statuses = responses.keys.sorted() } else { statuses = [] }
            return ["\(name): status not documented (documented: \(statuses.joined(separator: ", ")))"]
        }
        let described = validator.resolve(documented)
        let contentType = response.header("Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) }
        guard let schema = described["content"]?["application/json"]?["schema"] else {
            // No JSON body documented: there must be none (a non-JSON body is the other media type's business).
            if contentType == "application/json", !response.body.isEmpty {
                return ["\(name): a JSON body where the document describes none"]
            }
            return []
        }
        guard method.uppercased() != "HEAD" else { return [] }
        guard contentType == "application/json" else {
            return ["\(name): Content-Type \(contentType ?? "none"), the document says application/json"]
        }
        let body: JSONValue
        do {
            body = try JSONValue(parsing: response.body)
        } catch {
            return ["\(name): the body is not JSON: \(response.text.prefix(100))"]
        }
        return validator.problems(body, schema: schema).map { "\(name): \($0)" }
    }

    /// Records an issue at `sourceLocation` for each of ``problems(method:target:response:)``.
    package func record(method: String, target: String, response: TestResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        for problem in problems(method: method, target: target, response: response) {
            Issue.record(Comment(rawValue: "undocumented response: \(problem)"), sourceLocation: sourceLocation)
        }
    }

    private func literals(_ pattern: [Substring]) -> Int {
        pattern.filter { !$0.hasPrefix("{") }.count
    }
}
