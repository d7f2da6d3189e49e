import Foundation
import Testing
import TollgateMail
import TollgateTestSupport

/// The official Mustache spec's core modules, read in place from `../shared/data/mustache-spec/`.
@Suite struct MustacheSpecTests {
    struct SpecFile: Decodable {
        var tests: [SpecCase]
    }

    struct SpecCase: Decodable {
        var name: String
        var desc: String
        var data: MustacheValue
        var template: String
        var partials: [String: String]?
        var expected: String
    }

    static let folder = TestDatabase.repositoryRoot + "/../shared/data/mustache-spec"

    static func cases(_ module: String) throws -> [SpecCase] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/\(module).json"))
        return try JSONDecoder().decode(SpecFile.self, from: data).tests
    }

    @Test(arguments: ["comments", "delimiters", "interpolation", "inverted", "partials", "sections"])
    func everyCasePasses(module: String) throws {
        let cases = try Self.cases(module)
        #expect(!cases.isEmpty)
        var passed = 0
        for spec in cases {
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
                    Issue.record("\(module) / \(spec.name): \(spec.desc)\nexpected: \(spec.expected.debugDescription)\n     got: \(output.debugDescription)")
                }
            } catch {
                Issue.record("\(module) / \(spec.name): threw \(error)")
            }
        }
        print("mustache spec \(module): \(passed)/\(cases.count) passed")
        #expect(passed == cases.count)
    }
}
