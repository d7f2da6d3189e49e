import Foundation
import Testing
import TollgateMail

/// A module of Mustache cases in the spec's JSON shape (`{"tests": [{"name", "desc", "data",
/// "template", "partials"?, "expected"}]}`), and the one way the tests render them.
struct MustacheCases: Decodable {
    struct Case: Decodable {
        var name: String
        var desc: String
        var data: MustacheValue
        var template: String
        var partials: [String: String]?
        var expected: String
    }

    var tests: [Case]

    /// The core modules of the spec, which the engine implements.
    static let coreModules = ["comments", "delimiters", "interpolation", "inverted", "partials", "sections"]

    init(bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(Self.self, from: Data(bytes))
    }

    /// Renders every case (unknown partials render empty, as the spec asks); records an issue for
    /// each case whose output differs or that throws, and returns how many passed.
    @discardableResult
    func check(_ module: String, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
        #expect(!tests.isEmpty, "\(module) has no cases", sourceLocation: sourceLocation)
        var passed = 0
        for spec in tests {
            do {
                var partials: [String: MustacheTemplate] = [:]
                for (name, source) in spec.partials ?? [:] {
                    partials[name] = try MustacheTemplate(source, name: name)
                }
                let output = try MustacheTemplate(spec.template, name: spec.name)
                    .render(spec.data, partials: partials, missingPartial: .renderEmpty)
                if output == spec.expected {
                    passed += 1
                } else {
                    Issue.record("\(module) / \(spec.name): \(spec.desc)\nexpected: \(spec.expected.debugDescription)\n     got: \(output.debugDescription)",
                                 sourceLocation: sourceLocation)
                }
            } catch {
                Issue.record("\(module) / \(spec.name): threw \(error)", sourceLocation: sourceLocation)
            }
        }
        return passed
    }
}
