import Foundation
import Testing
import Tollgate

/// Usage windows at their boundary instants, all in UTC.
@Suite struct UsageWindowTests {
    private func window(_ period: ResetPeriod, at now: String, subscription: SubscriptionState? = nil) -> UsageWindow {
        UsageWindow.current(for: period, subscription: subscription, at: Fixture.utc(now))
    }

    @Test func lastMillisecondOfADayBelongsToThatDay() {
        let window = window(.day, at: "2027-03-14T23:59:59.999Z")
        #expect(window.start == Fixture.utc("2027-03-14T00:00:00Z"))
        #expect(window.end == Fixture.utc("2027-03-15T00:00:00Z"))
    }

    @Test func midnightStartsTheNextDay() {
        let window = window(.day, at: "2027-03-15T00:00:00Z")
        #expect(window.start == Fixture.utc("2027-03-15T00:00:00Z"))
        #expect(window.end == Fixture.utc("2027-03-16T00:00:00Z"))
    }

    @Test(arguments: [
        // (instant, month start, next month start)
        ("2027-01-31T23:59:59.999Z", "2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"),
        ("2027-02-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"),
        ("2027-02-28T23:59:59.999Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z"),
        ("2027-03-01T00:00:00Z", "2027-03-01T00:00:00Z", "2027-04-01T00:00:00Z"),
        ("2028-02-28T23:59:59.999Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
        ("2028-02-29T00:00:00Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
        ("2028-02-29T23:59:59.999Z", "2028-02-01T00:00:00Z", "2028-03-01T00:00:00Z"),
        ("2028-03-01T00:00:00Z", "2028-03-01T00:00:00Z", "2028-04-01T00:00:00Z"),
        ("2027-12-31T23:59:59.999Z", "2027-12-01T00:00:00Z", "2028-01-01T00:00:00Z"),
        ("2028-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2028-02-01T00:00:00Z"),
        ("2100-02-28T12:00:00Z", "2100-02-01T00:00:00Z", "2100-03-01T00:00:00Z"),
        ("1969-12-31T23:59:59.999Z", "1969-12-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ])
    func monthWindowAtMonthEnds(instant: String, start: String, end: String) {
        let window = window(.month, at: instant)
        #expect(window.start == Fixture.utc(start))
        #expect(window.end == Fixture.utc(end))
    }

    @Test(arguments: [
        ("2028-02-28T23:59:59.999Z", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"),
        ("2028-02-29T00:00:00Z", "2028-02-29T00:00:00Z", "2028-03-01T00:00:00Z"),
        ("2027-02-28T23:59:59.999Z", "2027-02-28T00:00:00Z", "2027-03-01T00:00:00Z"),
        ("2027-12-31T23:59:59.999Z", "2027-12-31T00:00:00Z", "2028-01-01T00:00:00Z"),
        ("2028-01-01T00:00:00Z", "2028-01-01T00:00:00Z", "2028-01-02T00:00:00Z"),
    ])
    func dayWindowAcrossMonthAndYearEnds(instant: String, start: String, end: String) {
        let window = window(.day, at: instant)
        #expect(window.start == Fixture.utc(start))
        #expect(window.end == Fixture.utc(end))
    }

    @Test func billingPeriodIsStartInclusiveEndExclusive() {
        let subscription = Fixture.subscription(.active)
        let period = UsageWindow(start: Fixture.utc("2027-12-15T00:00:00Z"), end: Fixture.utc("2028-01-15T00:00:00Z"))
        #expect(window(.billingPeriod, at: "2027-12-15T00:00:00Z", subscription: subscription) == period)
        #expect(window(.billingPeriod, at: "2028-01-14T23:59:59.999Z", subscription: subscription) == period)
        // At the end instant the period is over: the calendar month stands in until it renews.
        #expect(window(.billingPeriod, at: "2028-01-15T00:00:00Z", subscription: subscription)
            == UsageWindow(start: Fixture.utc("2028-01-01T00:00:00Z"), end: Fixture.utc("2028-02-01T00:00:00Z")))
        #expect(window(.billingPeriod, at: "2027-12-14T23:59:59.999Z", subscription: subscription)
            == UsageWindow(start: Fixture.utc("2027-12-01T00:00:00Z"), end: Fixture.utc("2028-01-01T00:00:00Z")))
    }

    @Test func billingPeriodWithoutKnownPeriodUsesTheCalendarMonth() {
        let month = UsageWindow(start: Fixture.utc("2027-12-01T00:00:00Z"), end: Fixture.utc("2028-01-01T00:00:00Z"))
        #expect(window(.billingPeriod, at: "2027-12-20T00:00:00Z") == month)
        var subscription = Fixture.subscription(.active)
        subscription.currentPeriodEnd = nil
        #expect(window(.billingPeriod, at: "2027-12-20T00:00:00Z", subscription: subscription) == month)
    }

    @Test func neverIsUnbounded() {
        let window = window(.never, at: "2027-12-20T00:00:00Z")
        #expect(window == .unbounded)
        #expect(window.start == .distantPast && window.end == nil)
        #expect(window.contains(.distantFuture))
    }

    @Test func containsIsStartInclusiveEndExclusive() {
        let window = UsageWindow(start: Fixture.utc("2028-02-01T00:00:00Z"), end: Fixture.utc("2028-03-01T00:00:00Z"))
        #expect(window.contains(Fixture.utc("2028-02-01T00:00:00Z")))
        #expect(window.contains(Fixture.utc("2028-02-29T23:59:59.999Z")))
        #expect(!window.contains(Fixture.utc("2028-03-01T00:00:00Z")))
        #expect(!window.contains(Fixture.utc("2028-01-31T23:59:59.999Z")))
    }

    /// Seconds since 1970 (a `Date` argument would be described by the test runner, and
    /// Foundation cannot describe a NaN date).
    @Test(arguments: [Double.infinity, -Double.infinity, .nan, 1e300, -1e300])
    func unrepresentableInstantsGetTheUnboundedWindowInsteadOfCrashing(seconds: Double) {
        let now = Date(timeIntervalSince1970: seconds)
        #expect(UsageWindow.current(for: .day, subscription: nil, at: now) == .unbounded)
        #expect(UsageWindow.current(for: .month, subscription: nil, at: now) == .unbounded)
        #expect(UsageWindow.current(for: .billingPeriod, subscription: nil, at: now) == .unbounded)
    }

    @Test func monthWindowMatchesFoundationCalendarEveryDayForFourYears() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        var day = Fixture.utc("2027-01-01T00:00:00Z")
        for _ in 0..<(4 * 366) {
            let noon = day.addingTimeInterval(43_200)
            let interval = try #require(calendar.dateInterval(of: .month, for: noon))
            let window = UsageWindow.current(for: .month, subscription: nil, at: noon)
            #expect(window.start == interval.start && window.end == interval.end)
            day = day.addingTimeInterval(86_400)
        }
    }
}

/// Usage, remaining and reset times in evaluated entitlements.
@Suite struct EvaluatorUsageTests {
    @Test func meteredFeatureReportsUsageRemainingAndItsWindow() {
        let result = Evaluator.evaluate(Fixture.input(usage: ["api.requests": 2_500]))
        let requests = result["api.requests"]
        #expect(requests?.used == 2_500)
        #expect(requests?.remaining == 7_500)
        #expect(requests?.windowStart == Fixture.utc("2027-12-01T00:00:00Z"))
        #expect(requests?.resetsAt == Fixture.utc("2028-01-01T00:00:00Z"))
    }

    @Test func remainingNeverGoesBelowZero() {
        let requests = Evaluator.evaluate(Fixture.input(usage: ["api.requests": 12_000]))["api.requests"]
        #expect(requests?.used == 12_000 && requests?.remaining == 0)
    }

    @Test func missingUsageCountsAsZero() {
        let requests = Evaluator.evaluate(Fixture.input())["api.requests"]
        #expect(requests?.used == 0 && requests?.remaining == 10_000)
    }

    @Test func notEntitledMeteredFeatureStillReportsUsageAndWindow() {
        let emails = Evaluator.evaluate(Fixture.input(usage: ["emails.sent": 7]))["emails.sent"]
        #expect(emails?.value == nil && emails?.used == 7 && emails?.remaining == nil)
        #expect(emails?.resetsAt == Fixture.utc("2028-01-01T00:00:00Z"))
        #expect(emails?.windowStart == Fixture.utc("2027-12-31T00:00:00Z"))
    }

    @Test func billingPeriodFeatureResetsAtThePeriodEnd() {
        var input = Fixture.input()
        input.features.append(Feature(key: "builds", name: "Builds", kind: .metered, reset: .billingPeriod))
        input.plan?.entitlements["builds"] = .limit(100)
        let builds = Evaluator.evaluate(input)["builds"]
        #expect(builds?.windowStart == Fixture.utc("2027-12-15T00:00:00Z"))
        #expect(builds?.resetsAt == Fixture.utc("2028-01-15T00:00:00Z"))
    }

    @Test(arguments: [ResetPeriod.never, nil])
    func lifetimeQuotaHasNoWindow(reset: ResetPeriod?) {
        var input = Fixture.input(usage: ["credits": 40])
        input.features.append(Feature(key: "credits", name: "Credits", kind: .metered, reset: reset))
        input.plan?.entitlements["credits"] = .limit(50)
        let credits = Evaluator.evaluate(input)["credits"]
        #expect(credits?.remaining == 10 && credits?.resetsAt == nil && credits?.windowStart == nil)
    }

    @Test func hugeUsageDoesNotOverflowRemaining() {
        let requests = Evaluator.evaluate(Fixture.input(usage: ["api.requests": .min]))["api.requests"]
        #expect(requests?.remaining == .max)
    }
}
