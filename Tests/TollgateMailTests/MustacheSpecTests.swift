import Foundation
import Testing
import TollgateMail
import TollgateTestSupport

/// The official Mustache spec's core modules, read in place from `../shared/data/mustache-spec/`
/// when it is there (skipped, with the reason, in a plain clone; required under `CI=true`). The
/// project's own cases for the same modules are in ``MustacheFixtureTests``.
@Suite struct MustacheSpecTests {
    @Test(.sharedData("mustache-spec"), arguments: MustacheCases.coreModules)
    func everyCasePasses(module: String) throws {
        let cases = try MustacheCases(bytes: try SharedTestData.bytes("mustache-spec/\(module).json"))
        let passed = cases.check(module)
        print("mustache spec \(module): \(passed)/\(cases.tests.count) passed")
        #expect(passed == cases.tests.count)
    }
}
