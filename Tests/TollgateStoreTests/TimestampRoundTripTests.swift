import Foundation
import Testing
import TollgateStore
import TollgateTestSupport

/// `SQLTimestamp` is exact: encode → store → decode is the identity, to the millisecond, for every
/// representable instant (years 0001 through 9999), on both backends, and the stored text sorts as
/// the instants do.
@Suite struct TimestampRoundTripTests {
    /// Seeded random instants across the whole range, plus the edges and the cases that once broke
    /// (just before 1970, the epoch, leap days, the last millisecond of 9999).
    static func instants(count: Int, seed: UInt64) -> [Date] {
        var generator = SeededGenerator(seed: seed)
        let lower = Int64((SQLTimestamp.representable.lowerBound.timeIntervalSince1970 * 1000).rounded())
        let upper = Int64((SQLTimestamp.representable.upperBound.timeIntervalSince1970 * 1000).rounded())
        let fixed: [Int64] = [lower, upper, -1, 0, 1, -500, -86_400_000, 951_782_400_000 /* 2000-02-29 */, 1_767_225_600_123, 4_107_542_399_999]
        let random = (0..<count).map { _ in Int64.random(in: lower...upper, using: &generator) }
        let recent = (0..<count).map { _ in Int64.random(in: 0...4_102_444_800_000, using: &generator) }
        return (fixed + random + recent).map { Date(timeIntervalSince1970: Double($0) / 1000) }
    }

    @Test func formatAndParseAreInversesToTheMillisecond() throws {
        for instant in Self.instants(count: 5000, seed: 7) {
            let text = SQLTimestamp.format(instant)
            #expect(text.utf8.count == 24 && text.hasSuffix("Z"), "\(text)")
            let parsed = try #require(SQLTimestamp.parse(text), "\(text)")
            #expect(Self.milliseconds(parsed) == Self.milliseconds(instant), "\(text)")
        }
        #expect(SQLTimestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(SQLTimestamp.format(.distantPast) == "0001-01-01T00:00:00.000Z", "pinned to the first representable instant")
        #expect(SQLTimestamp.format(Date(timeIntervalSince1970: 1e300)) == "9999-12-31T23:59:59.999Z", "never malformed, never a trap")
        #expect(SQLTimestamp.parse("2026-11-22 16:39:11.123456+00").map(Self.microseconds) == 1_795_365_551_123_456)
    }

    /// `stored(_:)` is what a round trip through the store gives back, to the bit (unrounded
    /// instants with sub-millisecond parts included), so a value written need not be read back.
    @Test func storedIsTheRoundTripExactly() throws {
        var generator = SeededGenerator(seed: 11)
        let unrounded = (0..<5000).map { _ in Date(timeIntervalSince1970: Double.random(in: -62_135_596_800...253_402_300_799, using: &generator)) }
        for instant in Self.instants(count: 2000, seed: 13) + unrounded + [Date(), .distantPast, .distantFuture] {
            let roundTrip = try #require(SQLTimestamp.parse(SQLTimestamp.format(instant)))
            #expect(SQLTimestamp.stored(instant) == roundTrip, "\(SQLTimestamp.format(instant))")
        }
    }

    @Test(arguments: Backend.allCases)
    func storedInstantsReadBackExactlyAndSortAsTime(_ backend: Backend) throws {
        let test = try TestDatabase.make(backend)
        try test.database.withConnection { connection throws in
            try connection.executeScript(test.backend.ddl(
                sqlite: "CREATE TABLE instants (id INTEGER PRIMARY KEY, at TEXT NOT NULL);",
                postgres: "CREATE TABLE instants (id BIGINT PRIMARY KEY, at TIMESTAMPTZ NOT NULL);"))
        }
        let instants = Self.instants(count: 300, seed: 11)
        try test.database.transaction { connection in
            for (index, instant) in instants.enumerated() {
                try connection.execute("INSERT INTO instants (id, at) VALUES (\(index), \(instant))")
            }
        }
        let rows = try test.database.withConnection { connection in
            try connection.query("SELECT id, at FROM instants ORDER BY at, id").map { row in
                (try row.get("id") as Int, try row.get("at") as Date)
            }
        }
        #expect(rows.count == instants.count)
        for (id, stored) in rows {
            #expect(Self.milliseconds(stored) == Self.milliseconds(instants[id]), "\(SQLTimestamp.format(instants[id]))")
        }
        let order = rows.map { Self.milliseconds($0.1) }
        #expect(order == order.sorted(), "the store orders them as time")
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    static func microseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) }
}
