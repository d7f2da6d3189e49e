import Foundation
import Testing
import TollgateBase
@testable import TollgateCLI

/// Human output (issue 18): money as people write it, in the currency's own minor unit, and
/// instants to the second in UTC; JSON keeps minor units and RFC 3339.
@Suite struct HumanOutputTests {
    @Test func moneyIsWrittenAsPeopleReadIt() {
        #expect(MoneyFormat.text(4900, currency: "usd") == "$49.00")
        #expect(MoneyFormat.recurring(49000, currency: "usd", per: "year") == "$490.00 / year")
        #expect(MoneyFormat.text(1250, currency: "eur") == "€12.50")
        #expect(MoneyFormat.text(500, currency: "jpy") == "¥500")
        #expect(MoneyFormat.text(0, currency: "gbp") == "£0.00")
    }

    @Test func instantsAreWrittenToTheSecondInUTC() {
        #expect(HumanTime.text(Date(timeIntervalSince1970: 1_773_480_605.123)) == "2026-03-14 09:30:05 UTC")
        #expect(HumanTime.text(Date(timeIntervalSince1970: 0)) == "1970-01-01 00:00:00 UTC")
    }
}
