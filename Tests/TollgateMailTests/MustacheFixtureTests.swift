import Foundation
import Testing
import TollgateMail

/// Tollgate's own Mustache cases for each core module of the spec (`Fixtures/mustache/*.json`, in
/// the spec's JSON shape, written for this project): HTML escaping, standalone lines, delimiters,
/// partial indentation. They run everywhere, a plain clone included.
@Suite struct MustacheFixtureTests {
    @Test(arguments: MustacheCases.coreModules)
    func everyProjectCasePasses(module: String) throws {
        let url = try #require(Bundle.module.url(forResource: module, withExtension: "json", subdirectory: "Fixtures/mustache"))
        let cases = try MustacheCases(bytes: Array(try Data(contentsOf: url)))
        #expect(cases.tests.count >= 5, "a handful of cases per module")
        #expect(cases.check(module) == cases.tests.count)
    }
}
