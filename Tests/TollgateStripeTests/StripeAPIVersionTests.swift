import Foundation
import Testing
import TollgateStripe
import TollgateTestSupport

/// Stripe API versions: parsed, ordered by date, and which event versions Tollgate reads.
@Suite struct StripeAPIVersionTests {
    @Test func versionsParseWithAndWithoutARelease() throws {
        let endive = try #require(StripeAPIVersion("2026-10-28.endive"))
        #expect((endive.year, endive.month, endive.day, endive.release) == (2026, 10, 28, "endive"))
        #expect(endive.description == "2026-10-28.endive")
        let old = try #require(StripeAPIVersion("2017-08-15"))
        #expect(old.release == nil && old.description == "2017-08-15" && old.date == "2017-08-15")
        #expect(StripeAPIVersion("2026-11-18.preview")?.release == "preview")
        for bad in ["", "basil", "2026-10-28.", "2026-10-28.Endive", "2026-13-01", "2026-00-10", "2026-10-32", "26-10-28", "2026-1-28",
                    "2026-10-28.endive.x", "2026-10-28 endive", "２０２６-10-28", "+026-10-28"] {
            #expect(StripeAPIVersion(bad) == nil, "\(bad)")
        }
    }

    @Test func thePinnedVersionIsEndiveAndIsWhatTheClientSends() {
        #expect(StripeConfiguration.pinnedAPIVersion == "2026-10-28.endive")
        #expect(StripeAPIVersion(StripeConfiguration.pinnedAPIVersion) == StripeAPIVersion.pinned)
        #expect(StripeConfiguration(apiKey: StripeAPIKey("sk_test_x")).apiVersion == "2026-10-28.endive")
    }

    /// Known: dated on or before the pinned version (any release name that day), or no version.
    /// Not known: later, or not a version at all.
    @Test func eventsOfThePinnedVersionOrEarlierAreReadAndLaterOrUnparseableOnesAreNot() {
        for readable in [nil, "2017-08-15", "2025-02-24.acacia", "2025-03-31.basil", "2025-09-30.clover", "2026-03-25.dahlia",
                         "2026-09-30.endive", "2026-10-28.endive", "2026-10-28.preview"] {
            #expect(StripeAPIVersion.isReadable(readable), "\(readable ?? "nil")")
        }
        for unreadable in ["2026-10-29.endive", "2026-11-18.endive", "2026-11-18.preview", "2027-03-31.fig", "", "latest", "2026-10-28.ENDIVE"] {
            #expect(!StripeAPIVersion.isReadable(unreadable), "\(unreadable)")
        }
        #expect(StripeAPIVersion("2025-03-31.basil")!.isBefore(StripeAPIVersion("2025-09-30.clover")!))
        #expect(!StripeAPIVersion("2026-10-28.preview")!.isBefore(StripeAPIVersion("2026-10-28.endive")!))
    }

    /// The pinned version is the one the official SDK names (stripe-python's `stripe.api_version`,
    /// through scripts/peers/stripe-sign, which scripts/test provides).
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_SIGN"] != nil,
                   "needs TOLLGATE_TEST_STRIPE_SIGN (scripts/test sets it to scripts/peers/stripe-sign)"))
    func thePinnedVersionIsTheOneTheOfficialSDKNames() throws {
        let signer = try #require(ProcessInfo.processInfo.environment["TOLLGATE_TEST_STRIPE_SIGN"])
        let executable = signer.hasPrefix("/") ? signer : TestDatabase.repositoryRoot + "/" + signer
        let child = try ChildProcess(executable: executable, arguments: ["--api-version"], standardOutput: .pipe, standardError: .inherit)
        let output = String(decoding: child.readStandardOutput(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(child.waitForExit(timeout: .seconds(120)) == 0)
        #expect(output == StripeConfiguration.pinnedAPIVersion)
    }
}
