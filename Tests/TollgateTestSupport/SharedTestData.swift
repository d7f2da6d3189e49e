import Foundation
package import Testing

/// The team's test data beside the project (`../shared/data`: the Mustache spec, Stripe's SDK
/// vectors), read in place, never copied into the repository (its README says so).
///
/// CI and the team's machines have it; a user's plain clone does not. A test that reads it carries
/// ``SharedTestData/enabled(_:)``: without the data it is skipped with the reason in the output,
/// so `scripts/test` passes from a plain clone. Under `CI=true` the data must be there: the trait
/// then runs the test anyway and the missing file fails it ("CI must never skip silently"). What
/// such a test proves is also proved by the project's own fixtures (`webhooks/`, `Fixtures/`).
package enum SharedTestData {
    /// `../shared/data` from the repository root.
    package static var folder: String {
        URL(fileURLWithPath: TestDatabase.repositoryRoot).deletingLastPathComponent().appendingPathComponent("shared/data").path
    }

    /// The path of `relative` (e.g. `stripe/dotnet_event_test_signature.json`) inside ``folder``.
    package static func path(_ relative: String) -> String { folder + "/" + relative }

    /// Whether `relative` exists inside ``folder``.
    package static func isPresent(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: path(relative)) }

    /// Whether this run is CI (`CI=true`, as CI services set it): shared data is then required.
    package static var isCI: Bool { ProcessInfo.processInfo.environment["CI"]?.lowercased() == "true" }

    /// Whether a test that reads `relative` runs: when it is present, and always in CI.
    package static func runs(_ relative: String) -> Bool { isPresent(relative) || isCI }

    /// The skip reason a test shows when `relative` is absent outside CI.
    package static func reason(_ relative: String) -> String {
        "needs ../shared/data/\(relative) (the team's test data beside the project; absent in a plain clone, required under CI=true)"
    }

    /// The bytes of `relative`; a missing file throws an error naming it (so under CI it fails loudly).
    package static func bytes(_ relative: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(relative)) else {
            throw SharedTestDataMissing(path: path(relative), isCI: isCI)
        }
        return Array(data)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test when `../shared/data/<relative>` is present (always under `CI=true`); skips it
    /// otherwise, with the reason in the test output. See ``SharedTestData``.
    package static func sharedData(_ relative: String) -> Self {
        .enabled(if: SharedTestData.runs(relative), Comment(rawValue: SharedTestData.reason(relative)))
    }
}

/// A shared test file that is not there although the test runs (under `CI=true`).
package struct SharedTestDataMissing: Error, CustomStringConvertible {
    package var path: String
    package var isCI: Bool
    package var description: String {
        "missing shared test data \(path)" + (isCI ? " (CI=true: CI must provide ../shared/data; it never skips)" : "")
    }
}
